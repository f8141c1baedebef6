/// ReLU, in place. The backward pass masks the gradient by the forward *output* (> 0).
public enum ReLU {
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = 0 }
    }

    /// dout ← dout · [out > 0], in place (turns the gradient after the ReLU into the one before it).
    public static func backward(_ dout: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, count: Int) {
        for i in 0..<count where out[i] <= 0 { dout[i] = 0 }
    }
}
