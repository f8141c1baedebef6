/// Mean- and max-pooled activations of two inner layers, for a linear probe on frozen features: fire6 and fire9
/// in the paper's naming (torchvision's `features[9]`, 384 channels, and `features[12]`, 512 channels).
extension SqueezeNet {
    /// The tapped layers (workspace names) with their channel counts, in output order.
    public static let pooledTaps: [(layer: String, channels: Int)] = [("fire9", 384), ("fire12", 512)]

    /// Values per image of `pooledTaps(_:input:)`: each tap's channel means, then its channel maxima.
    public static var pooledTapWidth: Int { pooledTaps.reduce(0) { $0 + 2 * $1.channels } }

    /// Runs conv1 … fire9 on `input` (N, 3, S, S) and returns, per image, each tapped layer's channel means
    /// followed by its channel maxima: (N, `pooledTapWidth`). The head is not run (its weights are not read).
    /// At batch 1 through oneDNN's blocked pipeline where the CPU has one (the workspace then treats the weights
    /// as fixed), else through im2col and GEMMs.
    public func pooledTaps(_ ws: Workspace, input: UnsafePointer<Float>) -> [Float] {
        if let pipeline = ws.tapPipeline(self) { pipeline.keepActivations(input: input, index: 0) }
        else { featuresForward(ws, input: input, training: false) }
        let n = ws.batch, width = Self.pooledTapWidth
        var out = [Float](repeating: 0, count: n * width)
        var offset = 0
        for (layer, channels) in Self.pooledTaps {
            let side = layer == "fire12" ? architecture.featureSize : architecture.side(ofFire: 9)
            let hw = side * side, src = ws.a(layer)  // (C, N, h, w)
            for c in 0..<channels {
                for b in 0..<n {
                    let p = src + (c * n + b) * hw
                    var sum: Float = 0, top = -Float.infinity
                    for i in 0..<hw { sum += p[i]; top = max(top, p[i]) }
                    out[b * width + offset + c] = sum / Float(hw)
                    out[b * width + offset + channels + c] = top
                }
            }
            offset += 2 * channels
        }
        return out
    }
}
