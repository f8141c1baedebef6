import Classifier
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
}
