/// ReLU, in place. The backward pass masks the gradient by the forward *output* (> 0).
public enum ReLU {
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.chunks(count) { r in
            for i in r { x[i] = max(x[i], 0) }  // branch-free, vectorises
        }
    }

    /// dout ← dout · [out > 0], in place (turns the gradient after the ReLU into the one before it).
    public static func backward(_ dout: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, count: Int) {
        Parallel.chunks(count) { r in
            var i = r.lowerBound
            let zero = SIMD16<Float>(repeating: 0)
            while i + 16 <= r.upperBound {
                let o = UnsafeRawPointer(out + i).loadUnaligned(as: SIMD16<Float>.self)
                var d = UnsafeRawPointer(dout + i).loadUnaligned(as: SIMD16<Float>.self)
                d.replace(with: zero, where: o .<= zero)
                UnsafeMutableRawPointer(dout + i).storeBytes(of: d, as: SIMD16<Float>.self)
                i += 16
            }
            while i < r.upperBound { if out[i] <= 0 { dout[i] = 0 }; i += 1 }
        }
    }
}
