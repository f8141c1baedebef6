/// Mean- and max-pooled activations of two inner layers, for a linear probe on frozen features: fire6 and fire9
/// in the paper's naming (torchvision's `features[9]`, 384 channels, and `features[12]`, 512 channels).
extension SqueezeNet {
    /// The tapped layers (workspace names) with their channel counts, in output order.
    public static let pooledTaps: [(layer: String, channels: Int)] = [("fire9", 384), ("fire12", 512)]

    /// Channels over all tapped layers (both share one spatial size, after the last max pool).
    public static var tapChannels: Int { pooledTaps.reduce(0) { $0 + $1.channels } }

    /// Values per image of `pooledTaps(_:input:)`: each tap's channel means, then its channel maxima.
    public static var pooledTapWidth: Int { 2 * tapChannels }

    /// Runs conv1 … fire9 on `input` (N, 3, S, S) and returns, per image, each tapped layer's channel means
    /// followed by its channel maxima: (N, `pooledTapWidth`). The head is not run (its weights are not read).
    public func pooledTaps(_ ws: Workspace, input: UnsafePointer<Float>) -> [Float] {
        runTaps(ws, input: input)
        let n = ws.batch, width = Self.pooledTapWidth
        var out = [Float](repeating: 0, count: n * width)
        var offset = 0
        for (layer, channels) in Self.pooledTaps {
            let hw = tapSide * tapSide, src = ws.a(layer)  // (C, N, h, w)
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

    /// The side of the tapped layers' square maps at this architecture's input size.
    public var tapSide: Int { architecture.featureSize }

    /// Runs conv1 … fire9 on one image `input` (3, S, S) and returns the tapped layers' whole maps, channel after
    /// channel in `pooledTaps` order: `tapChannels × tapSide²` values. `pooledTaps` of the same input pools exactly
    /// these numbers (what a map of the probe's evidence decomposes).
    public func tapMaps(_ ws: Workspace, input: UnsafePointer<Float>) -> [Float] {
        precondition(ws.batch == 1, "tapMaps takes one image")
        runTaps(ws, input: input)
        var out: [Float] = []
        out.reserveCapacity(Self.tapChannels * tapSide * tapSide)
        for (layer, channels) in Self.pooledTaps {
            out += UnsafeBufferPointer(start: ws.a(layer), count: channels * tapSide * tapSide)
        }
        return out
    }

    /// conv1 … fire9, leaving the tapped layers in the workspace's plain layout. At batch 1 through oneDNN's
    /// blocked pipeline where the CPU has one (the workspace then treats the weights as fixed), else through im2col
    /// and GEMMs.
    private func runTaps(_ ws: Workspace, input: UnsafePointer<Float>) {
        precondition(architecture.side(ofFire: 9) == architecture.featureSize, "the tapped layers share one size")
        if let pipeline = ws.tapPipeline(self) { pipeline.keepActivations(input: input, index: 0) }
        else { featuresForward(ws, input: input, training: false) }
    }
}
