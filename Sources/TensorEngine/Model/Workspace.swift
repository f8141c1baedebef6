/// Activation buffers (and their gradients) for one batch size. Each concurrent worker owns one.
public final class Workspace: @unchecked Sendable {
    public let batch: Int
    let architecture: SqueezeNetArchitecture
    var activations: [String: FloatBuffer] = [:]
    var gradients: [String: FloatBuffer] = [:]
    /// im2col scratch, sized for the largest convolution. Backward recomputes a convolution's columns rather
    /// than keeping every layer's from the forward pass (260 MiB less at batch 32), except conv1's.
    /// Made at first use: an inference pass through `BlockedInference` never needs it.
    lazy var columns = FloatBuffer(count: columnCount)
    let columnCount: Int
    /// A second scratch like `columns`, for the input gradient's columns while the weight gradient uses
    /// `columns` on another worker (training only).
    lazy var inputGradientColumns = FloatBuffer(count: columnCount)
    /// conv1's im2col from a training pass, kept for its backward pass: the one layer whose columns are a
    /// strided gather, slow to redo (44 MiB at batch 32; every other layer's are recomputed).
    lazy var conv1Columns = FloatBuffer(count: architecture.conv1Shape.columnCount(batch: batch))
    /// Whether `conv1Columns` hold the last training pass's input (the GEMM path gathers them on the way; a
    /// blocked training pass leaves them to conv1's backward, which gathers them into `columns`, so that a
    /// blocked training workspace never makes `conv1Columns`).
    var conv1ColumnsReady = false
    /// Dropout's 0 / 2 mask (training only).
    var dropoutMask: FloatBuffer?
    /// d(target)/d(fire9 output), kept apart from the buffer the fire's backward masks in place.
    lazy var featureGradient = FloatBuffer(count: 512 * batch * architecture.featureSize * architecture.featureSize)
    lazy var classMapGradient = FloatBuffer(count: architecture.classes * batch * architecture.featureSize * architecture.featureSize)
    /// Whether the last forward pass used dropout (backward must then apply the mask).
    var lastTraining = false
    /// Inference through `BlockedInference` (a pipeline borrowed for each pass; see `SqueezeNet.makeWorkspace`).
    public let fixedWeights: Bool
    /// Set when the network's pool could not build a blocked pipeline: this workspace's passes then take the GEMM path.
    private var blockedUnavailable = false
    /// Whether the last forward pass went through it (only fire9 and later activations are then kept).
    var lastPassBlocked = false
    lazy var blockedScratch = FloatBuffer(count: 512 * architecture.featureSize * architecture.featureSize)

    /// (name, channels, side) of every activation, in forward order.
    let shapes: [(name: String, channels: Int, side: Int)]

    init(architecture a: SqueezeNetArchitecture, batch: Int, fixedWeights: Bool = false) {
        self.batch = batch
        self.fixedWeights = fixedWeights
        self.architecture = a
        let (s1, s2, s3) = a.sizes
        var shapes: [(String, Int, Int)] = [("input", 3, a.inputSize), ("conv1", 64, a.conv1Size), ("pool1", 64, s1)]
        for f in SqueezeNetArchitecture.fires {
            let side = a.side(ofFire: f.index)
            shapes.append(("fire\(f.index).squeeze", f.squeeze, side))
            shapes.append(("fire\(f.index)", f.outChannels, side))
            if f.index == 4 { shapes.append(("pool2", 128, s2)) }
            if f.index == 7 { shapes.append(("pool3", 256, s3)) }
        }
        shapes.append(("dropout", 512, s3))
        shapes.append(("conv10", a.classes, s3))
        self.shapes = shapes
        var maxColumns = a.conv1Shape.columnCount(batch: batch)
        for f in SqueezeNetArchitecture.fires {
            let side = a.side(ofFire: f.index)
            maxColumns = max(maxColumns, ConvShape(inChannels: f.squeeze, outChannels: f.expand3, kernel: 3, padding: 1,
                                                   height: side, width: side).columnCount(batch: batch))
        }
        columnCount = maxColumns
    }

    /// Runs `body` with a blocked pipeline for `net` borrowed from the network's pool for this pass alone, and gives
    /// it back after: a pipeline holds its weights, Winograd transforms and activations, and workspaces that live
    /// between passes (the classifier's cached ones, the content check's, each image's Grad-CAM) then share the
    /// pipelines of the passes running at once instead of holding one each. False, and `body` not run, without fixed
    /// weights or where oneDNN cannot build a pipeline. Every pipeline of a network computes the same numbers.
    func withBlockedInference(_ net: SqueezeNet, _ body: (BlockedInference) -> Void) -> Bool {
        guard fixedWeights, !blockedUnavailable else { return false }
        guard let pipeline = net.blockedPool.borrow(net) else { blockedUnavailable = true; return false }
        defer { net.blockedPool.giveBack(pipeline) }
        body(pipeline)
        return true
    }

    /// Training passes through blocked pipelines too (one per worker; each image's activations copied into
    /// this workspace's buffers). On by default where the CPU runs them; tests turn it off to compare paths.
    public var blockedTraining = true
    private var madeTrainingPipelines: [BlockedInference]?
    private var trainingTried = false

    /// The pipelines of a training pass, made at the first one (nil where they cannot be built): one per
    /// worker, each bound to this workspace's activation buffers, reading the network's weights anew each pass.
    func trainingPipelines(_ net: SqueezeNet) -> [BlockedInference]? {
        guard blockedTraining, !fixedWeights else { return nil }
        if !trainingTried {
            trainingTried = true
            for (name, _, _) in shapes { _ = a(name) }  // every buffer made here, before workers write into them
            let capture = BlockedInference.Capture(batch: batch, buffer: { self.a($0) })
            let made = (0..<max(1, min(Parallel.workers, batch))).compactMap { _ in BlockedInference(net, capture: capture) }
            madeTrainingPipelines = made.isEmpty ? nil : made
        }
        return madeTrainingPipelines
    }

    private var madeTapPipeline: BlockedInference?
    private var tapTried = false

    /// The pipeline of `SqueezeNet.pooledTaps` at batch 1, made at its first pass (nil where it cannot be built):
    /// the tapped activations copied into this workspace's buffers as a training pass copies all, the weights loaded once —
    /// a probe's network never changes while its workspace lives.
    func tapPipeline(_ net: SqueezeNet) -> BlockedInference? {
        guard batch == 1, blockedTraining, !fixedWeights else { return nil }
        if !tapTried {
            tapTried = true
            let taps = Set(SqueezeNet.pooledTaps.map(\.layer))
            for name in taps { _ = a(name) }
            madeTapPipeline = BlockedInference(net, capture: BlockedInference.Capture(batch: 1, buffer: { self.a($0) }, only: taps))
            madeTapPipeline?.loadWeights()
        }
        return madeTapPipeline
    }

    /// Allocates gradient buffers on first use (inference never needs them).
    /// - Parameter headOnly: only the classifier head's (conv10, dropout, fire9 output): a backward pass that
    ///   stops at the features (Grad-CAM) needs no more, and zeroing the rest would cost more than the pass.
    func prepareGradients(headOnly: Bool = false) {
        // No gradient for the input image: nothing upstream needs it.
        for (name, c, side) in shapes where name != "input" && (!headOnly || Self.head.contains(name)) {
            if let g = gradients[name] { g.zero() } else { gradients[name] = FloatBuffer(count: c * batch * side * side) }
        }
    }
    static let head: Set<String> = ["conv10", "dropout", "fire12"]

    /// An activation buffer, made at its first use (the blocked inference path uses only the last three).
    func a(_ name: String) -> UnsafeMutablePointer<Float> {
        if let buffer = activations[name] { return buffer.pointer }
        let shape = shapes.first { $0.name == name }!
        let buffer = FloatBuffer(count: shape.channels * batch * shape.side * shape.side)
        activations[name] = buffer
        return buffer.pointer
    }
    func g(_ name: String) -> UnsafeMutablePointer<Float> { gradients[name]!.pointer }
}

extension Workspace {
    /// The fire9 output (features.12) of the last forward pass, as (N, 512, h, w).
    public var featureMaps: [Float] { nchw("fire12", channels: 512) }
    /// d(target)/d(fire9 output) from the last backward pass, as (N, 512, h, w).
    public var featureGradients: [Float] {
        let hw = architecture.featureSize * architecture.featureSize
        var out = [Float](repeating: 0, count: batch * 512 * hw)
        out.withUnsafeMutableBufferPointer { Layout.cnhwToNchw($0.baseAddress!, featureGradient.pointer, n: batch, c: 512, hw: hw) }
        return out
    }
    /// ReLU(conv10) of the last forward pass, as (N, classes, h, w).
    public var classMaps: [Float] { nchw("conv10", channels: architecture.classes) }
    /// d(target)/d(ReLU(conv10) output), as (N, classes, h, w).
    public var classMapGradients: [Float] {
        let hw = architecture.featureSize * architecture.featureSize, c = architecture.classes
        var out = [Float](repeating: 0, count: batch * c * hw)
        out.withUnsafeMutableBufferPointer { Layout.cnhwToNchw($0.baseAddress!, classMapGradient.pointer, n: batch, c: c, hw: hw) }
        return out
    }

    /// Channels of the fire9 output.
    public var featureChannels: Int { 512 }

    /// The fire9 output of the last forward pass averaged over space, as (N, 512): the features the
    /// content check measures distances in.
    public var pooledFeatures: [Float] {
        let hw = architecture.featureSize * architecture.featureSize, c = featureChannels
        let src = a("fire12")  // (C, N, h, w)
        var out = [Float](repeating: 0, count: batch * c)
        for ch in 0..<c {
            for n in 0..<batch {
                let p = src + (ch * batch + n) * hw
                var sum: Float = 0
                for i in 0..<hw { sum += p[i] }
                out[n * c + ch] = sum / Float(hw)
            }
        }
        return out
    }

    func nchw(_ name: String, channels: Int) -> [Float] {
        let hw = architecture.featureSize * architecture.featureSize
        var out = [Float](repeating: 0, count: batch * channels * hw)
        out.withUnsafeMutableBufferPointer { Layout.cnhwToNchw($0.baseAddress!, a(name), n: batch, c: channels, hw: hw) }
        return out
    }

}
