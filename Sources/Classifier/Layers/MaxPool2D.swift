/// Max pooling without padding, ceil mode (torchvision's SqueezeNet: kernel 3, stride 2).
public enum MaxPool2D {
    /// PyTorch's ceil-mode size: ceil((H - k) / s) + 1, minus one if the last window would start past the input.
    public static func outputSize(_ input: Int, kernel k: Int, stride s: Int) -> Int {
        var out = (input - k + s - 1) / s + 1
        if (out - 1) * s >= input { out -= 1 }
        return out
    }

    /// inp (C, N, H, W) → out (C, N, P, Q); `argmax` keeps each output's source index within its plane.
    public static func forward(out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                               inp: UnsafePointer<Float>, planes: Int, height h: Int, width w: Int,
                               kernel k: Int, stride s: Int) {
        let p = outputSize(h, kernel: k, stride: s), q = outputSize(w, kernel: k, stride: s)
        for plane in 0..<planes {
            let src = inp + plane * h * w
            let dst = out + plane * p * q, idx = argmax + plane * p * q
            for y in 0..<p {
                let y0 = y * s, y1 = min(y0 + k, h)
                for x in 0..<q {
                    let x0 = x * s, x1 = min(x0 + k, w)
                    var best = -Float.infinity, at = y0 * w + x0
                    for iy in y0..<y1 {
                        for ix in x0..<x1 where src[iy * w + ix] > best {
                            best = src[iy * w + ix]
                            at = iy * w + ix
                        }
                    }
                    dst[y * q + x] = best
                    idx[y * q + x] = Int32(at)
                }
            }
        }
    }

    /// dinp[argmax] += dout, per plane.
    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                                planes: Int, height h: Int, width w: Int, kernel k: Int, stride s: Int) {
        let pq = outputSize(h, kernel: k, stride: s) * outputSize(w, kernel: k, stride: s)
        for plane in 0..<planes {
            let d = dinp + plane * h * w
            for i in 0..<pq { d[Int(argmax[plane * pq + i])] += dout[plane * pq + i] }
        }
    }
}
