/// Inverted dropout: kept values are scaled by 1 / (1 - p) in training, identity at inference.
public enum Dropout {
    /// Fills `mask` with 0 or 1/(1-p) from `rng` and multiplies `x` by it in place.
    public static func forward<G: RandomNumberGenerator>(_ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
                                                          count: Int, p: Float, rng: inout G) {
        let keep = 1 / (1 - p)
        for i in 0..<count {
            let u = Float(rng.next() >> 40) * 0x1p-24  // uniform in [0, 1) from 24 bits
            mask[i] = u < p ? 0 : keep
            x[i] *= mask[i]
        }
    }

    public static func backward(_ dout: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dout[i] *= mask[i] }
    }
}

/// Global average pooling: inp (K, N, H·W) → out (N, K).
public enum GlobalAvgPool {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, channels k: Int, batch n: Int, area: Int) {
        let scale = 1 / Float(area)
        for c in 0..<k {
            for b in 0..<n {
                let plane = inp + (c * n + b) * area
                var sum: Float = 0
                for i in 0..<area { sum += plane[i] }
                out[b * k + c] = sum * scale
            }
        }
    }

    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, channels k: Int, batch n: Int, area: Int) {
        let scale = 1 / Float(area)
        for c in 0..<k {
            for b in 0..<n {
                let g = dout[b * k + c] * scale
                let plane = dinp + (c * n + b) * area
                for i in 0..<area { plane[i] += g }
            }
        }
    }
}
