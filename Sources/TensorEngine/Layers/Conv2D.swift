import COpenBLAS

// Activations use the layout (C, N, H, W): channel-major over the whole batch, so that a
// convolution over the batch is one GEMM and a channel concatenation is two adjacent blocks.
// Size letters: N batch, C input channels, H W input size, K output channels, R S kernel size,
// P Q output size.

/// The geometry of one convolution.
public struct ConvShape: Sendable, Equatable {
    public var inChannels: Int, outChannels: Int
    public var kernel: Int, stride: Int, padding: Int
    public var height: Int, width: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, height: Int, width: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.height = height
        self.width = width
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// C·R·S: the length of one filter.
    public var patch: Int { inChannels * kernel * kernel }
    public var weightCount: Int { outChannels * patch }
    /// 1×1, stride 1, no padding: the input is already the im2col matrix.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Floats of scratch (im2col) needed for a batch.
    public func columnCount(batch: Int) -> Int { isPointwise ? 0 : patch * batch * outHeight * outWidth }
}

/// Convolution + bias via im2col and `GEMM`; an optional fused ReLU.
public enum Conv2D {
    /// inp (C, N, H, W) → col (C·R·S, N·P·Q).
    /// Each output row splits into a zero border and a middle that is a copy (stride 1) or a strided gather.
    static func im2col(_ col: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ s: ConvShape, batch n: Int) {
        let (h, w, p, q, k, stride, pad) = (s.height, s.width, s.outHeight, s.outWidth, s.kernel, s.stride, s.padding)
        let columns = n * p * q
        Parallel.chunks(s.inChannels, minimumChunk: max(1, 65536 / max(columns * k * k, 1))) { channels in
        for c in channels {
            for r in 0..<k {
                for t in 0..<k {
                    let row = col + ((c * k + r) * k + t) * columns
                    // Output columns x whose input column x·stride − pad + t lies inside [0, w).
                    let xLo = min(q, max(0, (pad - t + stride - 1) / stride))
                    let xHi = max(xLo, min(q, (w - 1 + pad - t) / stride + 1))
                    for b in 0..<n {
                        let plane = inp + (c * n + b) * h * w
                        for y in 0..<p {
                            let ih = y * stride - pad + r
                            let dst = row + (b * p + y) * q
                            if ih < 0 || ih >= h {
                                dst.update(repeating: 0, count: q)
                                continue
                            }
                            if xLo > 0 { dst.update(repeating: 0, count: xLo) }
                            if xHi < q { (dst + xHi).update(repeating: 0, count: q - xHi) }
                            let src = plane + ih * w + xLo * stride - pad + t
                            if stride == 1 {
                                (dst + xLo).update(from: src, count: xHi - xLo)
                            } else {
                                for x in 0..<(xHi - xLo) { dst[xLo + x] = src[x &* stride] }
                            }
                        }
                    }
                }
            }
        }
        }
    }

    /// col (C·R·S, N·P·Q) → dinp (C, N, H, W), accumulating.
    static func col2im(_ dinp: UnsafeMutablePointer<Float>, _ col: UnsafePointer<Float>, _ s: ConvShape, batch n: Int) {
        let (h, w, p, q, k, stride, pad) = (s.height, s.width, s.outHeight, s.outWidth, s.kernel, s.stride, s.padding)
        let columns = n * p * q
        Parallel.chunks(s.inChannels, minimumChunk: max(1, 65536 / max(columns * k * k, 1))) { channels in
        for c in channels {
            for r in 0..<k {
                for t in 0..<k {
                    let row = col + ((c * k + r) * k + t) * columns
                    let xLo = min(q, max(0, (pad - t + stride - 1) / stride))
                    let xHi = max(xLo, min(q, (w - 1 + pad - t) / stride + 1))
                    for b in 0..<n {
                        let plane = dinp + (c * n + b) * h * w
                        for y in 0..<p {
                            let ih = y * stride - pad + r
                            if ih < 0 || ih >= h { continue }
                            let src = row + (b * p + y) * q + xLo
                            let dst = plane + ih * w + xLo * stride - pad + t
                            if stride == 1 {
                                for x in 0..<(xHi - xLo) { dst[x] += src[x] }  // contiguous: vectorises
                            } else {
                                for x in 0..<(xHi - xLo) { dst[x &* stride] += src[x] }
                            }
                        }
                    }
                }
            }
        }
        }
    }

    /// out (K, N, P, Q) = weight (K, C·R·S) · im2col(inp) + bias, then ReLU if `relu`.
    /// - Parameter col: scratch of `shape.columnCount(batch:)` floats (unused for 1×1 convolutions).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               shape s: ConvShape, batch n: Int, relu: Bool, col: UnsafeMutablePointer<Float>?) {
        let columns = n * s.outHeight * s.outWidth
        let b: UnsafePointer<Float>
        if s.isPointwise { b = inp } else { im2col(col!, inp, s, batch: n); b = UnsafePointer(col!) }
        GEMM.multiply(m: s.outChannels, n: columns, k: s.patch, a: weight, lda: s.patch, b: b, ldb: columns,
                      beta: 0, c: out, ldc: columns)
        // Bias and ReLU in one pass over the output (the GEMM adds C as beta·C + A·B, so this rounds alike).
        Parallel.chunks(s.outChannels, minimumChunk: max(1, 65536 / columns)) { ks in
            for k in ks {
                let row = out + k * columns, b = bias[k]
                if relu { for i in 0..<columns { row[i] = max(row[i] + b, 0) } }
                else { for i in 0..<columns { row[i] += b } }
            }
        }
    }

    /// Accumulates dweight, dbias and (when given) dinp from dout (K, N, P, Q), which must already be
    /// the gradient before the activation (see `ReLU.backward`).
    /// - Parameters:
    ///   - col: im2col scratch, for im2col(inp) (dweight) and then the input gradient's columns (dinp); with
    ///     `columnsReady` it already holds im2col(inp) from the forward pass.
    ///   - inputColumns: a second scratch like `col`: the weight and the input gradients (two GEMMs of the same
    ///     size) are then computed side by side on two workers. Each is the same single GEMM either way, so the
    ///     bits do not depend on it or on the worker count.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                shape s: ConvShape, batch n: Int, col: UnsafeMutablePointer<Float>?, columnsReady: Bool = false,
                                inputColumns: UnsafeMutablePointer<Float>? = nil) {
        let columns = n * s.outHeight * s.outWidth
        let (k, c, p) = (s.outChannels, columns, s.patch)
        func weightGradient() {
            if let dbias {
                Parallel.chunks(s.outChannels, minimumChunk: max(1, 65536 / columns)) { ks in
                    for k in ks {
                        var sum: Float = 0
                        let row = dout + k * columns
                        for i in 0..<columns { sum += row[i] }
                        dbias[k] += sum
                    }
                }
            }
            if let dweight {
                let b: UnsafePointer<Float>
                if s.isPointwise { b = inp } else {
                    if !columnsReady { im2col(col!, inp, s, batch: n) }
                    b = UnsafePointer(col!)
                }
                GEMM.multiply(transposeB: true, m: k, n: p, k: c, a: dout, lda: c, b: b, ldb: c, beta: 1, c: dweight, ldc: p)
            }
        }
        func inputGradient(_ scratch: UnsafeMutablePointer<Float>?) {
            guard let dinp else { return }
            if s.isPointwise {
                GEMM.multiply(transposeA: true, m: p, n: c, k: k, a: weight, lda: p, b: dout, ldb: c, beta: 1, c: dinp, ldc: c)
            } else {
                GEMM.multiply(transposeA: true, m: p, n: c, k: k, a: weight, lda: p, b: dout, ldb: c, beta: 0, c: scratch!, ldc: c)
                col2im(dinp, scratch!, s, batch: n)
            }
        }
        if dinp != nil, dweight != nil, s.isPointwise || inputColumns != nil {
            Parallel.both(weightGradient, { inputGradient(inputColumns) })
        } else {
            weightGradient()
            inputGradient(col)
        }
    }

    /// Direct convolution, the reference that tests check the fast path against.
    public static func forwardNaive(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                    shape s: ConvShape, batch n: Int) {
        let (h, w, p, q, kk) = (s.height, s.width, s.outHeight, s.outWidth, s.kernel)
        for k in 0..<s.outChannels {
            for b in 0..<n {
                for y in 0..<p {
                    for x in 0..<q {
                        var acc = Double(bias[k])
                        for c in 0..<s.inChannels {
                            for r in 0..<kk {
                                for t in 0..<kk {
                                    let ih = y * s.stride - s.padding + r, iw = x * s.stride - s.padding + t
                                    guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                                    acc += Double(weight[((k * s.inChannels + c) * kk + r) * kk + t]) *
                                        Double(inp[((c * n + b) * h + ih) * w + iw])
                                }
                            }
                        }
                        out[((k * n + b) * p + y) * q + x] = Float(acc)
                    }
                }
            }
        }
    }
}
