@testable import TensorEngine
import TestSupport
import Testing

/// The blocked inference pass against the training path's fire9 output, in both channel layouts: the one this
/// CPU uses and the other (AVX-512's 16 channels per block on an AVX2 machine, and the reverse), so that the
/// layout logic a different CPU runs is checked here too; and the 3×3 expands by our Winograd kernel (on a CPU
/// with AVX2) against oneDNN's direct convolutions.
struct BlockedInferenceTests {
    enum Kernels: String, CaseIterable, CustomTestStringConvertible {
        case direct8 = "8 channels per block, direct", winograd8 = "8 channels per block, Winograd 3×3 expands"
        case direct16 = "16 channels per block, direct"
        var testDescription: String { rawValue }
    }

    @Test("fire9 from the blocked pass equals the im2col + GEMM pass: 8 and 16 channels per block, direct and Winograd",
          arguments: Kernels.allCases, [83, 101])  // feature sides even (20, 10, 5) and odd (25, 12, 6), ceil-mode pool edges
    func matchesGEMMPath(kernels: Kernels, inputSize: Int) throws {
        if kernels == .winograd8 && !BlockedInference.winogradAvailable { return }  // this CPU has no AVX2: nothing to run
        let arch = SqueezeNetArchitecture(classes: 3, inputSize: inputSize)
        let net = SqueezeNet(architecture: arch)
        net.initialise(seed: 7)
        var rng = SplitMix64(seed: 11)
        let input = (0..<(3 * inputSize * inputSize)).map { _ in Float.random(in: -2...2, using: &rng) }
        let reference = net.makeWorkspace(batch: 1)
        net.forward(reference, input: input)
        let blocked = try #require(BlockedInference(net, wideBlocks: kernels == .direct16, winograd: kernels == .winograd8))
        let side = arch.featureSize
        var fire9 = [Float](repeating: .nan, count: 512 * side * side)
        input.withUnsafeBufferPointer { i in fire9.withUnsafeMutableBufferPointer { blocked.fire9(input: i.baseAddress!, into: $0.baseAddress!) } }
        let cmp = TensorComparison("fire9", actual: fire9, expected: reference.featureMaps)
        #expect(cmp.ok, "\(cmp)")
        #expect(reference.featureMaps.contains { $0 > 0 }, "a test whose features are all zero would prove nothing")
    }

    @Test("a workspace made after the weights change never gets a pipeline of the old weights")
    func pipelinesFollowWeightChanges() throws {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 83))
        net.initialise(seed: 7)
        var rng = SplitMix64(seed: 11)
        let input = (0..<(3 * 83 * 83)).map { _ in Float.random(in: -2...2, using: &rng) }
        func inference() -> [Float] { net.forward(net.makeWorkspace(batch: 1, fixedWeights: true), input: input) }  // lent, then given back
        let before = inference()
        #expect(inference() == before, "a pipeline given back and lent again computes the same bits")
        net.randomise(stage: "features.3", seed: 5)
        let after = inference()
        let reference = net.forward(net.makeWorkspace(batch: 1), input: input)
        #expect(after != before)
        let cmp = TensorComparison("logits", actual: after, expected: reference)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test("workspaces kept between passes borrow a pipeline for each pass: two live workspaces, one pipeline, each its own features")
    func workspacesSharePipelines() throws {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 83))
        net.initialise(seed: 7)
        var rng = SplitMix64(seed: 11)
        let inputs = (0..<2).map { _ in (0..<(3 * 83 * 83)).map { _ in Float.random(in: -2...2, using: &rng) } }
        try #require(BlockedInference(net) != nil, "oneDNN builds no pipeline here: nothing is shared")
        let first = net.makeWorkspace(batch: 1, fixedWeights: true), second = net.makeWorkspace(batch: 1, fixedWeights: true)
        let logits = [net.forward(first, input: inputs[0]), net.forward(second, input: inputs[1])]
        #expect(first.lastPassBlocked && second.lastPassBlocked)
        #expect(net.blockedPool.made == 1, "the second workspace's pass reuses the pipeline the first gave back")
        #expect(logits[0] != logits[1])
        let reference = net.makeWorkspace(batch: 1)
        for (ws, input) in zip([first, second], inputs) {
            _ = net.forward(reference, input: input)
            let cmp = TensorComparison("fire9", actual: ws.featureMaps, expected: reference.featureMaps)
            #expect(cmp.ok, "each workspace keeps its own pass's fire9 after the other's: \(cmp)")
        }
        #expect(net.forward(first, input: inputs[0]) == logits[0], "the same bits from the pipeline lent again")
    }

    @Test("a training pass through blocked pipelines keeps the GEMM path's activations, logits and parameter gradients")
    func trainingPassMatchesGEMMPath() throws {
        let arch = SqueezeNetArchitecture(classes: 3, inputSize: 101)
        let net = SqueezeNet(architecture: arch)
        net.initialise(seed: 7)
        var rng = SplitMix64(seed: 11)
        let batch = 3, input = (0..<(batch * 3 * 101 * 101)).map { _ in Float.random(in: -2...2, using: &rng) }
        func pass(blocked: Bool) throws -> (Workspace, [Float], [Float]) {
            let ws = net.makeWorkspace(batch: batch)
            ws.blockedTraining = blocked
            var dropout = SplitMix64(seed: 3)
            let logits = net.forward(ws, input: input, training: true, rng: &dropout)
            if blocked { try #require(ws.trainingPipelines(net) != nil, "this CPU builds blocked pipelines") }
            let grads = FloatBuffer(count: net.layout.total)
            net.backward(ws, dlogits: logits.map { $0 / 10 }, gradients: grads)
            return (ws, logits, grads.array)
        }
        let (blocked, blockedLogits, blockedGradients) = try pass(blocked: true)
        let (reference, referenceLogits, referenceGradients) = try pass(blocked: false)
        for (name, _, _) in reference.shapes where name != "input" {
            let count = reference.activations[name]!.count
            let cmp = TensorComparison(name, actual: Array(UnsafeBufferPointer(start: blocked.a(name), count: count)),
                                       expected: Array(UnsafeBufferPointer(start: reference.a(name), count: count)))
            #expect(cmp.ok, "\(cmp)")
        }
        let logits = TensorComparison("logits", actual: blockedLogits, expected: referenceLogits)
        #expect(logits.ok, "\(logits)")
        let gradients = TensorComparison("parameter gradients", actual: blockedGradients, expected: referenceGradients)
        #expect(gradients.ok, "\(gradients)")
        #expect(referenceGradients.contains { $0 != 0 })
    }

    @Test("a training step gives the same bits with one worker as with two (forward, backward and AdamW)")
    func trainingStepIndependentOfWorkers() {
        let arch = SqueezeNetArchitecture(classes: 3, inputSize: 83)
        var rng = SplitMix64(seed: 5)
        let batch = 4, input = (0..<(batch * 3 * 83 * 83)).map { _ in Float.random(in: -2...2, using: &rng) }
        func step(workers: Int) -> [Float] {
            let before = Parallel.workers
            Parallel.setThreads(workers)
            defer { Parallel.setThreads(before) }
            let net = SqueezeNet(architecture: arch)
            net.initialise(seed: 7)
            let ws = net.makeWorkspace(batch: batch), grads = FloatBuffer(count: net.layout.total)
            var adam = AdamW(parameterCount: net.layout.total), dropout = SplitMix64(seed: 3)
            for _ in 0..<2 {
                let logits = net.forward(ws, input: input, training: true, rng: &dropout)
                let (_, d) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: [0, 1, 2, 0], classes: 3)
                grads.zero()
                net.backward(ws, dlogits: d, gradients: grads)
                adam.step(parameters: net.parameters, gradients: grads, learningRate: 1e-3)
            }
            return net.parameters.array
        }
        let one = step(workers: 1), two = step(workers: 2)
        #expect(one == two, "parameters differ in \(zip(one, two).filter { $0 != $1 }.count) places")
    }
}
