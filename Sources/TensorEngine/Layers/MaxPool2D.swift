/// Max pooling without padding, ceil mode (torchvision's SqueezeNet: kernel 3, stride 2).
///
/// The forward pass keeps no arg-max: it is a vertical then horizontal max that vectorises, and
/// inference never needs more. The backward pass finds each window's first maximum again
/// (row-major order, as PyTorch's scan) and routes the gradient there.
public enum MaxPool2D {
    /// PyTorch's ceil-mode size: ceil((H - k) / s) + 1, minus one if the last window would start past the input.
    public static func outputSize(_ input: Int, kernel k: Int, stride s: Int) -> Int {
        var out = (input - k + s - 1) / s + 1
        if (out - 1) * s >= input { out -= 1 }
        return out
    }

    /// inp (C, N, H, W) → out (C, N, P, Q).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, planes: Int,
                               height h: Int, width w: Int, kernel k: Int, stride s: Int) {
        let p = outputSize(h, kernel: k, stride: s), q = outputSize(w, kernel: k, stride: s)
        Parallel.chunks(planes, minimumChunk: max(1, 32768 / (h * w))) { chunk in
        let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: w)
        defer { rowMax.deallocate() }
        for plane in chunk {
            let src = inp + plane * h * w, dst = out + plane * p * q
            for y in 0..<p {
                let y0 = y * s, rows = min(k, h - y0)
                rowMax.update(from: src + y0 * w, count: w)
                for r in 1..<max(rows, 1) {
                    let line = src + (y0 + r) * w
                    for ix in 0..<w { rowMax[ix] = max(rowMax[ix], line[ix]) }
                }
                let row = dst + y * q
                for x in 0..<q {
                    let x0 = x &* s, cols = min(k, w - x0)
                    var best = rowMax[x0]
                    for t in 1..<max(cols, 1) { best = max(best, rowMax[x0 &+ t]) }
                    row[x] = best
                }
            }
        }
        }
    }

    /// dinp[first arg-max of each window] += dout. Needs the forward's input and output.
    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, planes: Int, height h: Int, width w: Int, kernel k: Int, stride s: Int) {
        let p = outputSize(h, kernel: k, stride: s), q = outputSize(w, kernel: k, stride: s)
        Parallel.chunks(planes, minimumChunk: max(1, 32768 / (h * w))) { chunk in
        for plane in chunk {
            let src = inp + plane * h * w, d = dinp + plane * h * w
            let o = out + plane * p * q, g = dout + plane * p * q
            for y in 0..<p {
                let y0 = y * s, y1 = min(y0 + k, h)
                for x in 0..<q {
                    let x0 = x * s, x1 = min(x0 + k, w), target = o[y * q + x]
                    var at = y0 * w + x0
                    search: for iy in y0..<y1 {
                        for ix in x0..<x1 where src[iy * w + ix] == target {
                            at = iy * w + ix
                            break search
                        }
                    }
                    d[at] += g[y * q + x]
                }
            }
        }
        }
    }
}
