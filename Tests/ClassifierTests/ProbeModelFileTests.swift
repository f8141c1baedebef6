@testable import Classifier
import Foundation
import Preprocess
import TensorEngine
import TestSupport
import Testing

/// A model file carrying the feature probe: what it stores, how it reads back, and the decision's mix.
struct ProbeModelFileTests {
    let dir = TestPaths.temporaryDirectory("probe-model")
    static let sizes = [64, 96]

    /// A 3-class model of two networks with a seeded random probe on the first network's features.
    func makeProbeModel(share: Double = 0.25) throws -> (path: String, backbone: SqueezeNet, linear: LinearProbe) {
        let backbone = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 64))
        backbone.initialise(seed: 11)
        let second = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 64))
        second.initialise(seed: 12)
        var rng = SplitMix64(seed: 5)
        let width = Self.sizes.count * SqueezeNet.pooledTapWidth
        let linear = LinearProbe(mean: (0..<width).map { _ in Float.random(in: 0...0.5, using: &rng) },
                                 scale: (0..<width).map { _ in Float.random(in: 0.5...2, using: &rng) },
                                 weight: (0..<(3 * width)).map { _ in Float.random(in: -0.05...0.05, using: &rng) },
                                 bias: [0.1, -0.2, 0.05], lambda: 0.3)
        let probe = FeatureProbe(backbone: backbone, sizes: Self.sizes, linear: linear, share: share, networkTemperature: 1.5, probeTemperature: 0.8)
        var config = TrainingConfig()
        config.inputSize = 64
        config.classes = [.pa, .ap, .lateral]
        let saved = ModelFile.saved(probe)
        let path = dir.appendingPathComponent("probe-\(share).safetensors").path
        try ModelFile.save(Ensemble([backbone, second]), path: path,
                           metadata: ModelFile.metadata(name: "probe", config: config, temperature: 1.2, threshold: 0.9, contentLimit: nil)
                               .merging(saved.metadata) { a, _ in a },
                           extra: saved.tensors)
        return (path, backbone, linear)
    }

    func film() throws -> Radiograph {
        try RadiographLoader.load(path: TestPaths.packageRoot.appendingPathComponent("sample-data/demo/study-web-pa").path + "/"
                                  + FileManager.default.contentsOfDirectory(atPath: TestPaths.packageRoot.appendingPathComponent("sample-data/demo/study-web-pa").path).sorted()[0])
    }

    @Test("the probe reads back as written: sizes, share, temperatures, linear probe; it adds no network weights to the file")
    func roundTrip() throws {
        let (path, _, linear) = try makeProbeModel()
        let (tensors, metadata) = try SafeTensors.read(path: path)
        #expect(Set(tensors.keys.filter { $0.hasPrefix("probe.") }) == ["probe.mean", "probe.scale", "probe.weight", "probe.bias"])
        #expect(metadata["probe.backbone"] == "member0")
        let model = try ModelFile(path: path)
        let probe = try #require(model.probe)
        #expect(probe.sizes == Self.sizes && probe.share == 0.25)
        #expect(probe.networkTemperature == 1.5 && probe.probeTemperature == 0.8 && model.networkTemperature == 1.5 && model.temperature == 1.2)
        #expect(probe.linear == linear)
    }

    @Test("the probe's features are the first network's pooled taps at each size, the same bits on every call and thread count")
    func features() throws {
        let (path, backbone, _) = try makeProbeModel()
        let model = try ModelFile(path: path), radiograph = try film()
        let features = try #require(ViewClassifier(model: model).probeFeatures(of: radiograph))
        var expected: [Float] = []
        for size in Self.sizes {
            let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: size), parameters: FloatBuffer(backbone.parameters.array))
            var options = model.options
            options.size = size
            let input = NetworkInput.normalize(gray: NetworkInput(radiograph: radiograph, options: options).gray, options: options)
            expected += net.pooledTaps(net.makeWorkspace(batch: 1), input: input)
        }
        #expect(features == expected)
        #expect(model.probe!.features(of: radiograph, options: model.options) == features)
        Parallel.setThreads(1)
        let single = model.probe!.features(of: radiograph, options: model.options)
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        #expect(single == features)
    }

    @Test("callers at once wait for a size's one workspace: eight threads, one workspace per size, every caller the same bits")
    func oneWorkspacePerSize() throws {
        let (path, _, _) = try makeProbeModel()
        let model = try ModelFile(path: path), radiograph = try film()
        let probe = try #require(model.probe)
        let expected = probe.features(of: radiograph, options: model.options)
        let results = LockedResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { results.set($0, probe.features(of: radiograph, options: model.options)) }
        #expect(results.values.allSatisfy { $0 == expected })
        #expect(probe.backbones.made == Self.sizes.count, "one workspace per size, lent in turn")
    }

    /// Each thread's result, written under a lock.
    final class LockedResults: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [[Float]]
        init(count: Int) { stored = Array(repeating: [], count: count) }
        func set(_ index: Int, _ value: [Float]) { lock.lock(); stored[index] = value; lock.unlock() }
        var values: [[Float]] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    @Test("the decision's logits are (1 − share) · log softmax(network / T_n) + share · log softmax(probe / T_p); without the probe's features the network's alone; the decision names each part's probabilities")
    func mix() throws {
        let (path, _, linear) = try makeProbeModel(share: 0.25)
        let model = try ModelFile(path: path)
        let network: [Float] = [2.0, -1.0, 0.5]
        let probeFeatures = Array(linear.mean.enumerated().map { $0.element + Float($0.offset % 7) * 0.01 })
        let probeLogits = linear.logits(probeFeatures[...]).map(Double.init)
        func logSoftmax(_ z: [Double]) -> [Double] { let m = log(z.map(exp).reduce(0, +)); return z.map { $0 - m } }
        let own = logSoftmax(network.map { Double($0) / 1.5 }), other = logSoftmax(probeLogits.map { $0 / 0.8 })
        let mixed = model.decisionLogits(network: network[...], probeFeatures: probeFeatures)
        for c in 0..<3 { #expect(abs(Double(mixed[c]) - (0.75 * own[c] + 0.25 * other[c])) < 1e-5) }
        let alone = model.decisionLogits(network: network[...], probeFeatures: nil)
        for c in 0..<3 { #expect(abs(Double(alone[c]) - own[c]) < 1e-6) }
        // The classifier's decision uses the mix at the model's temperature.
        let gray = (0..<(64 * 64)).map { Float($0 % 64) / 64 }
        let classifier = ViewClassifier(model: model, readsMarkers: false)
        let raw = classifier.logitsAndFeatures(grays: [gray])[0].logits
        let decision = classifier.decide(file: "x", gray: gray, probeFeatures: probeFeatures, header: nil, headerConfirmsChest: true).decision
        let expected = Calibration.probabilities(logits: Array(model.decisionLogits(network: raw, probeFeatures: probeFeatures)), classes: 3, temperature: 1.2)
        for (c, view) in model.views.enumerated() { #expect(abs((decision.probabilities[view.name] ?? -1) - Double(expected[c])) < 1e-6) }
        // It says what each part said: the networks' and the probe's own calibrated probabilities.
        let parts = try #require(decision.parts)
        let networks = logSoftmax(raw.map { Double($0) / 1.5 }).map(exp), probe = other.map(exp)
        for (c, view) in model.views.enumerated() {
            #expect(abs((parts.networks[view.name] ?? -1) - networks[c]) < 1e-6 && abs((parts.probe[view.name] ?? -1) - probe[c]) < 1e-6)
        }
        #expect(classifier.decide(file: "x", gray: gray, header: nil, headerConfirmsChest: true).decision.parts == nil)
    }

    @Test("a model file whose probe is incomplete is refused with the reason")
    func incomplete() throws {
        let (path, _, _) = try makeProbeModel()
        var (tensors, metadata) = try SafeTensors.read(path: path)
        tensors["probe.weight"] = nil
        let broken = dir.appendingPathComponent("broken.safetensors").path
        try SafeTensors.write(path: broken, tensors: tensors, metadata: metadata)
        #expect(throws: ModelFile.LoadError.self) { try ModelFile(path: broken) }
        (tensors, metadata) = try SafeTensors.read(path: path)
        metadata["probe.share"] = "1.5"
        try SafeTensors.write(path: broken, tensors: tensors, metadata: metadata)
        #expect(throws: ModelFile.LoadError.self) { try ModelFile(path: broken) }
    }
}
