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

/// Convolution + bias via im2col and `cblas_sgemm`; an optional fused ReLU.
public enum Conv2D {
    /// inp (C, N, H, W) → col (C·R·S, N·P·Q).
    static func im2col(_ col: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ s: ConvShape, batch n: Int) {
        let (h, w, p, q, k) = (s.height, s.width, s.outHeight, s.outWidth, s.kernel)
        let columns = n * p * q
        for c in 0..<s.inChannels {
            for r in 0..<k {
                for t in 0..<k {
                    let row = col + ((c * k + r) * k + t) * columns
                    for b in 0..<n {
                        let plane = inp + (c * n + b) * h * w
                        for y in 0..<p {
                            let ih = y * s.stride - s.padding + r
                            let dst = row + (b * p + y) * q
                            if ih < 0 || ih >= h {
                                dst.update(repeating: 0, count: q)
                                continue
                            }
                            let src = plane + ih * w
                            for x in 0..<q {
                                let iw = x * s.stride - s.padding + t
                                dst[x] = (iw >= 0 && iw < w) ? src[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// col (C·R·S, N·P·Q) → dinp (C, N, H, W), accumulating.
    static func col2im(_ dinp: UnsafeMutablePointer<Float>, _ col: UnsafePointer<Float>, _ s: ConvShape, batch n: Int) {
        let (h, w, p, q, k) = (s.height, s.width, s.outHeight, s.outWidth, s.kernel)
        let columns = n * p * q
        for c in 0..<s.inChannels {
            for r in 0..<k {
                for t in 0..<k {
                    let row = col + ((c * k + r) * k + t) * columns
                    for b in 0..<n {
                        let plane = dinp + (c * n + b) * h * w
                        for y in 0..<p {
                            let ih = y * s.stride - s.padding + r
                            if ih < 0 || ih >= h { continue }
                            let src = row + (b * p + y) * q
                            let dst = plane + ih * w
                            for x in 0..<q {
                                let iw = x * s.stride - s.padding + t
                                if iw >= 0 && iw < w { dst[iw] += src[x] }
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
        for k in 0..<s.outChannels { (out + k * columns).update(repeating: bias[k], count: columns) }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(s.outChannels), Int32(columns), Int32(s.patch),
                    1, weight, Int32(s.patch), b, Int32(columns), 1, out, Int32(columns))
        if relu { ReLU.forward(out, count: s.outChannels * columns) }
    }

    /// Accumulates dweight, dbias and (when given) dinp from dout (K, N, P, Q), which must already be
    /// the gradient before the activation (see `ReLU.backward`).
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                shape s: ConvShape, batch n: Int, col: UnsafeMutablePointer<Float>?) {
        let columns = n * s.outHeight * s.outWidth
        let (k32, c32, p32) = (Int32(s.outChannels), Int32(columns), Int32(s.patch))
        if let dbias {
            for k in 0..<s.outChannels {
                var sum: Float = 0
                let row = dout + k * columns
                for i in 0..<columns { sum += row[i] }
                dbias[k] += sum
            }
        }
        if let dweight {
            let b: UnsafePointer<Float>
            if s.isPointwise { b = inp } else { im2col(col!, inp, s, batch: n); b = UnsafePointer(col!) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k32, p32, c32, 1, dout, c32, b, c32, 1, dweight, p32)
        }
        if let dinp {
            if s.isPointwise {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p32, c32, k32, 1, weight, p32, dout, c32, 1, dinp, c32)
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p32, c32, k32, 1, weight, p32, dout, c32, 0, col!, c32)
                col2im(dinp, col!, s, batch: n)
            }
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
