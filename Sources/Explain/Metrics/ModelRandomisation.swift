import Classifier
import Preprocess
import TensorEngine

/// The cascading model-randomisation check (Adebayo et al., "Sanity checks for saliency maps"):
/// re-draw the weights stage by stage from conv10 down to conv1 and compare each map with the trained
/// model's by Spearman's ρ. A map that explains the model falls toward 0; one that only reflects the
/// image (an edge detector) stays high.
public struct ModelRandomisation: Sendable {
    public var seed: UInt64

    public init(seed: UInt64 = 7) { self.seed = seed }

    public struct Stage: Sendable, Codable {
        /// The deepest parameter stage randomised so far (torchvision name).
        public var stage: String
        /// Spearman ρ with the trained model's map per method; nil where the randomised map is constant
        /// (all zero after Grad-CAM's ReLU: no ranking survives).
        public var rho: [String: Double?]
        public init(stage: String, rho: [String: Double?]) { self.stage = stage; self.rho = rho }
    }

    /// Grad-CAM-family maps of the same input and class for the trained model and after each cumulative
    /// randomisation step.
    public func run(network: Ensemble, input: [Float], methods: [CAMMethod], layer: CAMLayer = .fire9,
                    target: CAMTarget = .logit, targetClass: Int) -> [Stage] {
        let original = ClassActivationMapper(network: network).maps(input: input, methods: methods, layer: layer, target: target,
                                                                    targetClass: targetClass)
        let randomised = network.copy()
        var stages: [Stage] = []
        for (i, stage) in network.members[0].stagesFromOutput.enumerated() {
            for (m, member) in randomised.members.enumerated() { member.randomise(stage: stage, seed: seed &+ UInt64(i) &+ UInt64(m) &* 1_000_003) }
            let maps = ClassActivationMapper(network: randomised).maps(input: input, methods: methods, layer: layer, target: target,
                                                                       targetClass: targetClass)
            var rho: [String: Double?] = [:]
            for m in methods { rho[m.rawValue] = Spearman.correlation(original[m]!.values, maps[m]!.values) }
            stages.append(Stage(stage: stage, rho: rho))
        }
        return stages
    }

    /// The same check for the feature probe's map: its linear weights re-drawn first (stage "probe", normal with the
    /// trained weights' standard deviation), then its backbone's stages from fire9 down (`backbone`: the network the
    /// probe reads, the model's first), each map compared with the trained probe's.
    public func run(probe: FeatureProbe, backbone: SqueezeNet, radiograph: Radiograph, options: NetworkInputOptions,
                    target: CAMTarget = .logit, targetClass: Int) -> [Stage] {
        func map(_ p: FeatureProbe) -> [Float] {
            ProbeMapper(probe: p).map(radiograph: radiograph, options: options, target: target, targetClass: targetClass).map.values
        }
        let original = map(probe)
        var linear = probe.linear
        let mean = linear.weight.reduce(0.0) { $0 + Double($1) } / Double(linear.weight.count)
        let sd = (linear.weight.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(linear.weight.count)).squareRoot()
        var rng = SplitMix64(seed: seed)
        linear.weight = linear.weight.map { _ in Float(sd) * SqueezeNet.normal(&rng) }
        let randomised = backbone.copy()
        var stages: [Stage] = []
        for (i, stage) in (["probe"] + backbone.stagesFromOutput.dropFirst()).enumerated() {  // conv10: the probe never reads it
            if i > 0 { randomised.randomise(stage: stage, seed: seed &+ UInt64(i)) }
            let p = FeatureProbe(backbone: randomised, sizes: probe.sizes, linear: linear, share: probe.share,
                                 networkTemperature: probe.networkTemperature, probeTemperature: probe.probeTemperature)
            stages.append(Stage(stage: stage, rho: [ExplanationMethod.probe.rawValue: Spearman.correlation(original, map(p))]))
        }
        return stages
    }
}
