import Classifier
import TensorEngine
import Explain
import TestSupport
import Testing

/// The Grad-CAM family against the PyTorch reference (the same steps as pytorch-grad-cam), and the
/// Grad-CAM = CAM identity at relu_conv10.
struct CAMTests {
    static let fixture = try! SafeTensors.read(path: TestPaths.packageRoot
        .appendingPathComponent("Tests/ClassifierTests/Fixtures/squeezenet.safetensors").path).tensors

    static func network() throws -> Ensemble { Ensemble(try squeezeNet()) }

    static func squeezeNet() throws -> SqueezeNet {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 2, inputSize: 101))
        var weights: [String: SafeTensors.Tensor] = [:]
        for (k, v) in fixture where k.hasPrefix("weights.") { weights[String(k.dropFirst("weights.".count))] = v }
        try net.load(weights, file: "squeezenet.safetensors")
        return net
    }

    /// Image 0 of the fixture input, [3, 101, 101].
    static var input0: [Float] { Array(fixture["input"]!.values.prefix(3 * 101 * 101)) }

    @Test("Grad-CAM, Grad-CAM++, HiResCAM and LayerCAM at fire9 match the reference", arguments: CAMMethod.allCases)
    func parity(method: CAMMethod) throws {
        let mapper = ClassActivationMapper(network: try Self.network())
        let maps = mapper.maps(input: Self.input0, methods: [method], layer: .fire9, target: .logit, targetClass: 1)
        let map = maps[method]!
        #expect(map.width == 101 && map.values.count == 101 * 101)
        let cmp = TensorComparison("cam.\(method.rawValue)", actual: map.values, expected: Self.fixture["cam.\(method.rawValue)"]!.values)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test("at relu_conv10, Grad-CAM equals CAM (the class's own map), for both classes")
    func gradCAMIsCAM() throws {
        let net = try Self.network()
        let mapper = ClassActivationMapper(network: net)
        for c in 0..<2 {
            let grad = mapper.maps(input: Self.input0, methods: [.gradCAM], layer: .reluConv10, targetClass: c)[.gradCAM]!
            // CAM: ReLU(conv10) channel c, upsampled and scaled the same way.
            let ws = net.makeWorkspace(batch: 1)
            Self.input0.withUnsafeBufferPointer { _ = net.forward(ws, input: $0.baseAddress!) }
            let side = net.architecture.featureSize
            let channel = Array(ws.members[0].classMaps[(c * side * side)..<((c + 1) * side * side)])
            let cam = ClassActivationMapper.finish(channel, side: side, size: 101)
            let cmp = TensorComparison("class \(c)", actual: grad.values, expected: cam, tolerance: 1e-5)
            #expect(cmp.ok, "\(cmp)")
        }
    }

    @Test("an ensemble of two copies of a network gives that network's logits and linear CAM maps; a different second member changes them")
    func ensembleMaps() throws {
        let net = try Self.squeezeNet()
        let single = ClassActivationMapper(network: Ensemble(net)).maps(input: Self.input0, methods: [.gradCAM, .hiResCAM, .layerCAM], targetClass: 1)
        let twins = ClassActivationMapper(network: Ensemble([net, net.copy()])).maps(input: Self.input0, methods: [.gradCAM, .hiResCAM, .layerCAM], targetClass: 1)
        for (method, map) in single {
            let cmp = TensorComparison("twins \(method)", actual: twins[method]!.values, expected: map.values, tolerance: 1e-5)
            #expect(cmp.ok, "\(cmp)")
            #expect(zip(twins[method]!.probabilities, map.probabilities).allSatisfy { abs($0 - $1) < 1e-6 })
        }
        let other = net.copy()
        other.randomise(stage: "classifier.1", seed: 3)
        let mixed = ClassActivationMapper(network: Ensemble([net, other])).maps(input: Self.input0, methods: [.gradCAM], targetClass: 1)[.gradCAM]!
        #expect(mixed.values != single[.gradCAM]!.values)
        // The ensemble's probabilities are the softmax of the members' mean logits.
        let l0 = Self.input0.withUnsafeBufferPointer { net.forward(net.makeWorkspace(batch: 1, fixedWeights: true), input: $0.baseAddress!) }
        let l1 = Self.input0.withUnsafeBufferPointer { other.forward(other.makeWorkspace(batch: 1, fixedWeights: true), input: $0.baseAddress!) }
        let expected = SoftmaxCrossEntropy.softmax(zip(l0, l1).map { ($0 + $1) / 2 }, classes: 2)
        #expect(zip(mixed.probabilities, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(mixed.probabilities) \(expected)")
    }

    @Test("maps are in [0, 1] with both ends reached; a softmax target gives a map too")
    func range() throws {
        let mapper = ClassActivationMapper(network: try Self.network())
        let maps = mapper.maps(input: Self.input0, methods: CAMMethod.allCases, target: .softmax)
        for (method, map) in maps {
            #expect(map.values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(method)")
            #expect((map.values.max() ?? 0) > 0.99, "\(method)")
            #expect(map.values.min() == 0, "\(method)")
        }
    }
}
