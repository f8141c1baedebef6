import Dispatch

/// SqueezeNet 1.1: parameters in one block, forward and backward over a `Workspace`.
///
/// Activations are (C, N, H, W); inputs and the fire9 maps are converted at the edges.
public final class SqueezeNet: @unchecked Sendable {
    public let architecture: SqueezeNetArchitecture
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    /// Blocked inference pipelines built from these weights, lent to fixed-weights workspaces and returned
    /// when they go (building one reorders every weight: ~9 ms, as much as a pass). The methods here that
    /// change weights retire them; code that writes `parameters` directly must not use fixed-weights workspaces.
    let blockedPool = BlockedInferencePool()

    public init(architecture: SqueezeNetArchitecture, parameters: FloatBuffer? = nil) {
        _ = Parallel.singleThreadedBLAS
        self.architecture = architecture
        layout = architecture.layout
        if let parameters { precondition(parameters.count == layout.total, "parameter count \(parameters.count) ≠ \(layout.total)") }
        self.parameters = parameters ?? FloatBuffer(count: layout.total)
    }

    public var classes: Int { architecture.classes }

    /// What runs an inference pass on this CPU (see `BlockedInference`).
    public static var inferenceKernels: String { BlockedInference.kernels }

    /// - Parameter fixedWeights: the weights will not change while the workspace is used (a loaded model):
    ///   inference then runs through oneDNN's blocked convolutions (`BlockedInference`), pipelines that copy the
    ///   weights when made and are lent to one pass at a time from the network's pool. Training and anything that changes weights between passes keeps the default.
    public func makeWorkspace(batch: Int, fixedWeights: Bool = false) -> Workspace {
        Workspace(architecture: architecture, batch: batch, fixedWeights: fixedWeights)
    }

    func p(_ name: String) -> UnsafeMutablePointer<Float> { parameters.pointer + layout.offset(name) }

    // MARK: Forward

    /// Runs the network on `input` (N, 3, S, S) and returns the logits (N, classes).
    /// `training` turns dropout on (with `rng`).
    @discardableResult
    public func forward<G: RandomNumberGenerator>(_ ws: Workspace, input: UnsafePointer<Float>, training: Bool, rng: inout G) -> [Float] {
        let a = architecture, n = ws.batch
        if training, let pipelines = ws.trainingPipelines(self) {
            blockedTrainingFeatures(ws, pipelines, input: input)
        } else if training || !ws.withBlockedInference(self, { blockedFeatures(ws, $0, input: input) }) {
            ws.lastPassBlocked = false
            featuresForward(ws, input: input, training: training)
        }
        let side = a.featureSize, count = 512 * n * side * side
        ws.a("dropout").update(from: ws.a("fire12"), count: count)
        if training {
            if ws.dropoutMask == nil { ws.dropoutMask = FloatBuffer(count: count) }
            Dropout.forward(ws.a("dropout"), mask: ws.dropoutMask!.pointer, count: count, p: 0.5, rng: &rng)
        }
        Conv2D.forward(out: ws.a("conv10"), inp: ws.a("dropout"), weight: p("classifier.1.weight"), bias: p("classifier.1.bias"),
                       shape: conv10Shape, batch: n, relu: true, col: nil)
        var logits = [Float](repeating: 0, count: n * a.classes)
        GlobalAvgPool.forward(out: &logits, inp: ws.a("conv10"), channels: a.classes, batch: n, area: side * side)
        ws.lastTraining = training
        return logits
    }

    /// fire9's output of each image through oneDNN, into the workspace's (C, N, h, w) buffer.
    func blockedFeatures(_ ws: Workspace, _ blocked: BlockedInference, input: UnsafePointer<Float>) {
        let a = architecture, n = ws.batch, hw = a.featureSize * a.featureSize, plane = 3 * a.inputSize * a.inputSize
        let features = ws.a("fire12")
        if n == 1 { blocked.fire9(input: input, into: features) }  // (C, 1, h, w) is plain NCHW: no copy
        else {
            let one = ws.blockedScratch
            for b in 0..<n {
                blocked.fire9(input: input + b * plane, into: one.pointer)
                for c in 0..<512 { (features + (c * n + b) * hw).update(from: one.pointer + c * hw, count: hw) }
            }
        }
        ws.lastPassBlocked = true
    }

    /// conv1 … fire9 of a training pass through blocked pipelines, image by image over the workers, each
    /// image's activations copied into the workspace (for backward). An image's numbers come from one pipeline
    /// on one thread, so they do not depend on the worker count.
    func blockedTrainingFeatures(_ ws: Workspace, _ pipelines: [BlockedInference], input: UnsafePointer<Float>) {
        let a = architecture, n = ws.batch, plane = 3 * a.inputSize * a.inputSize
        Layout.nchwToCnhw(ws.a("input"), input, n: n, c: 3, hw: a.inputSize * a.inputSize)  // conv1's backward gathers from it
        ws.conv1ColumnsReady = false
        let work = UncheckedBox((pipelines, input))
        DispatchQueue.concurrentPerform(iterations: pipelines.count) { w in
            let (all, images) = work.value, pipeline = all[w]
            pipeline.loadWeights()
            for b in stride(from: w, to: n, by: all.count) { pipeline.keepActivations(input: images + b * plane, index: b) }
        }
        ws.lastPassBlocked = false
    }

    /// conv1 … fire9 through im2col and GEMMs, keeping every activation (for backward).
    func featuresForward(_ ws: Workspace, input: UnsafePointer<Float>, training: Bool) {
        let a = architecture, n = ws.batch
        ws.conv1ColumnsReady = training
        Layout.nchwToCnhw(ws.a("input"), input, n: n, c: 3, hw: a.inputSize * a.inputSize)
        let conv1 = a.conv1Shape
        Conv2D.forward(out: ws.a("conv1"), inp: ws.a("input"), weight: p("features.0.weight"), bias: p("features.0.bias"),
                       shape: conv1, batch: n, relu: true, col: training ? ws.conv1Columns.pointer : ws.columns.pointer)
        MaxPool2D.forward(out: ws.a("pool1"), inp: ws.a("conv1"), planes: 64 * n,
                          height: a.conv1Size, width: a.conv1Size, kernel: 3, stride: 2)
        var previous = "pool1"
        for f in SqueezeNetArchitecture.fires {
            fireForward(ws, f, input: previous)
            previous = "fire\(f.index)"
            if f.index == 4 || f.index == 7 {
                let pool = f.index == 4 ? "pool2" : "pool3", side = a.side(ofFire: f.index)
                MaxPool2D.forward(out: ws.a(pool), inp: ws.a(previous), planes: f.outChannels * n,
                                  height: side, width: side, kernel: 3, stride: 2)
                previous = pool
            }
        }
    }

    /// Inference: dropout off.
    @discardableResult
    public func forward(_ ws: Workspace, input: UnsafePointer<Float>) -> [Float] {
        var rng = SplitMix64(seed: 0)
        return forward(ws, input: input, training: false, rng: &rng)
    }

    var conv10Shape: ConvShape {
        ConvShape(inChannels: 512, outChannels: architecture.classes, kernel: 1, height: architecture.featureSize, width: architecture.featureSize)
    }

    func fireShapes(_ f: SqueezeNetArchitecture.Fire) -> (ConvShape, ConvShape, ConvShape) {
        let side = architecture.side(ofFire: f.index)
        return (ConvShape(inChannels: f.inChannels, outChannels: f.squeeze, kernel: 1, height: side, width: side),
                ConvShape(inChannels: f.squeeze, outChannels: f.expand1, kernel: 1, height: side, width: side),
                ConvShape(inChannels: f.squeeze, outChannels: f.expand3, kernel: 3, padding: 1, height: side, width: side))
    }

    func fireForward(_ ws: Workspace, _ f: SqueezeNetArchitecture.Fire, input: String) {
        let n = ws.batch, name = "features.\(f.index)"
        let (sq, e1, e3) = fireShapes(f)
        let area = sq.height * sq.width
        let squeeze = ws.a("fire\(f.index).squeeze"), out = ws.a("fire\(f.index)")
        Conv2D.forward(out: squeeze, inp: ws.a(input), weight: p("\(name).squeeze.weight"), bias: p("\(name).squeeze.bias"),
                       shape: sq, batch: n, relu: true, col: nil)
        Conv2D.forward(out: out, inp: squeeze, weight: p("\(name).expand1x1.weight"), bias: p("\(name).expand1x1.bias"),
                       shape: e1, batch: n, relu: true, col: nil)
        Conv2D.forward(out: out + f.expand1 * n * area, inp: squeeze, weight: p("\(name).expand3x3.weight"),
                       bias: p("\(name).expand3x3.bias"), shape: e3, batch: n, relu: true,
                       col: ws.columns.pointer)
    }

    // MARK: Backward

    /// Backpropagates `dlogits` (N, classes) from the last forward pass.
    /// - Parameters:
    ///   - gradients: accumulates parameter gradients (same layout as `parameters`); nil skips them.
    ///   - stopAtFeatures: stop once the gradient at the fire9 output is known (for Grad-CAM).
    public func backward(_ ws: Workspace, dlogits: [Float], gradients: FloatBuffer?, stopAtFeatures: Bool = false) {
        let a = architecture, n = ws.batch, side = a.featureSize
        ws.prepareGradients(headOnly: stopAtFeatures)
        func d(_ name: String) -> UnsafeMutablePointer<Float>? { gradients.map { $0.pointer + layout.offset(name) } }
        dlogits.withUnsafeBufferPointer {
            GlobalAvgPool.backward(dinp: ws.g("conv10"), dout: $0.baseAddress!, channels: a.classes, batch: n, area: side * side)
        }
        let count10 = a.classes * n * side * side
        ws.classMapGradient.pointer.update(from: ws.g("conv10"), count: count10)  // d(target)/d(relu_conv10), unmasked
        ReLU.backward(ws.g("conv10"), out: ws.a("conv10"), count: count10)
        Conv2D.backward(dinp: ws.g("dropout"), dweight: d("classifier.1.weight"), dbias: d("classifier.1.bias"), dout: ws.g("conv10"),
                        inp: ws.a("dropout"), weight: p("classifier.1.weight"), shape: conv10Shape, batch: n, col: nil)
        let count = 512 * n * side * side
        ws.g("fire12").update(from: ws.g("dropout"), count: count)
        if ws.lastTraining, let mask = ws.dropoutMask { Dropout.backward(ws.g("fire12"), mask: mask.pointer, count: count) }
        // Keep d(fire9 output) for Grad-CAM: the fire's own backward masks its buffer in place.
        ws.featureGradient.pointer.update(from: ws.g("fire12"), count: count)
        if stopAtFeatures { return }
        precondition(!ws.lastPassBlocked, "a full backward pass needs a forward pass on a workspace without fixed weights")

        for f in SqueezeNetArchitecture.fires.reversed() {
            let input = fireInputName(f.index)
            fireBackward(ws, f, input: input, d: d)
            if let pool = poolFeeding(f.index) {
                let (poolName, srcName, srcSide, channels) = pool
                MaxPool2D.backward(dinp: ws.g(srcName), dout: ws.g(poolName), inp: ws.a(srcName), out: ws.a(poolName),
                                   planes: channels * n, height: srcSide, width: srcSide, kernel: 3, stride: 2)
            }
        }
        let conv1 = a.conv1Shape
        ReLU.backward(ws.g("conv1"), out: ws.a("conv1"), count: 64 * n * a.conv1Size * a.conv1Size)
        Conv2D.backward(dinp: nil, dweight: d("features.0.weight"), dbias: d("features.0.bias"), dout: ws.g("conv1"),
                        inp: ws.a("input"), weight: p("features.0.weight"), shape: conv1, batch: n,
                        col: ws.conv1ColumnsReady ? ws.conv1Columns.pointer : ws.columns.pointer, columnsReady: ws.conv1ColumnsReady)
    }

    func fireInputName(_ index: Int) -> String {
        switch index {
        case 3: return "pool1"
        case 6: return "pool2"
        case 9: return "pool3"
        default: return "fire\(SqueezeNetArchitecture.fires[SqueezeNetArchitecture.fires.firstIndex { $0.index == index }! - 1].index)"
        }
    }

    /// For a fire whose input is a pool: (pool, the pool's source, its side, its channels).
    func poolFeeding(_ index: Int) -> (String, String, Int, Int)? {
        let a = architecture
        switch index {
        case 3: return ("pool1", "conv1", a.conv1Size, 64)
        case 6: return ("pool2", "fire4", a.side(ofFire: 4), 128)
        case 9: return ("pool3", "fire7", a.side(ofFire: 7), 256)
        default: return nil
        }
    }

    func fireBackward(_ ws: Workspace, _ f: SqueezeNetArchitecture.Fire, input: String,
                      d: (String) -> UnsafeMutablePointer<Float>?) {
        let n = ws.batch, name = "features.\(f.index)"
        let (sq, e1, e3) = fireShapes(f)
        let area = sq.height * sq.width
        let out = ws.a("fire\(f.index)"), dout = ws.g("fire\(f.index)")
        let squeeze = ws.a("fire\(f.index).squeeze"), dsqueeze = ws.g("fire\(f.index).squeeze")
        ReLU.backward(dout, out: out, count: f.outChannels * n * area)
        Conv2D.backward(dinp: dsqueeze, dweight: d("\(name).expand1x1.weight"), dbias: d("\(name).expand1x1.bias"), dout: dout,
                        inp: squeeze, weight: p("\(name).expand1x1.weight"), shape: e1, batch: n, col: nil)
        Conv2D.backward(dinp: dsqueeze, dweight: d("\(name).expand3x3.weight"), dbias: d("\(name).expand3x3.bias"),
                        dout: dout + f.expand1 * n * area, inp: squeeze, weight: p("\(name).expand3x3.weight"), shape: e3,
                        batch: n, col: ws.columns.pointer, inputColumns: Parallel.workers > 1 ? ws.inputGradientColumns.pointer : nil)
        ReLU.backward(dsqueeze, out: squeeze, count: f.squeeze * n * area)
        Conv2D.backward(dinp: ws.g(input), dweight: d("\(name).squeeze.weight"), dbias: d("\(name).squeeze.bias"), dout: dsqueeze,
                        inp: ws.a(input), weight: p("\(name).squeeze.weight"), shape: sq, batch: n, col: nil)
    }
}

/// Batch layout conversions at the network's edges.
public enum Layout {
    /// (N, C, HW) → (C, N, HW).
    public static func nchwToCnhw(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, n: Int, c: Int, hw: Int) {
        for b in 0..<n { for ch in 0..<c { (dst + (ch * n + b) * hw).update(from: src + (b * c + ch) * hw, count: hw) } }
    }

    /// (C, N, HW) → (N, C, HW).
    public static func cnhwToNchw(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, n: Int, c: Int, hw: Int) {
        for b in 0..<n { for ch in 0..<c { (dst + (b * c + ch) * hw).update(from: src + (ch * n + b) * hw, count: hw) } }
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same stream everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
