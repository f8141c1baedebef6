import Classifier
import TensorEngine
import Preprocess

/// DESIGN §6 for one image: deletion/insertion AUC per method and for a random map, the cascading
/// model-randomisation check for the Grad-CAM family, and LIME's stability across seeds.
public struct FaithfulnessCheck: Sendable {
    public var suite: ExplanationSuite
    public var scorer = DeletionInsertion()
    public var randomisation: ModelRandomisation? = ModelRandomisation()
    /// Seeds for LIME's stability (the first is the suite's seed); nil skips the check.
    public var limeSeeds: [UInt64]? = [0, 1, 2]
    public var randomMapSeed: UInt64 = 0
    /// Also score each Grad-CAM-family map with this fraction of the input's border zeroed (the
    /// border-heat study: is the heat on the image edge what the model uses?). Named "<method>/border".
    public var borderMask: Double?

    public init(suite: ExplanationSuite) { self.suite = suite }

    public struct Scores: Sendable, Codable {
        public var deletionAUC: Double
        public var insertionAUC: Double
        public init(deletionAUC: Double, insertionAUC: Double) { self.deletionAUC = deletionAUC; self.insertionAUC = insertionAUC }
    }

    public struct Result: Sendable, Codable {
        public var targetClass: Int
        public var probability: Double
        /// Per method name, and "random".
        public var scores: [String: Scores]
        public var randomisation: [ModelRandomisation.Stage]?
        public var limeStability: LIMEStability.Result?
        public var seconds: [String: Double]
        /// The probe's map's own cascade (`ModelRandomisation.run(probe:…)`: the probe's weights, then its backbone).
        public var probeRandomisation: [ModelRandomisation.Stage]?
        /// With `borderMask`: the share of each CAM map's total in the border band (the band's share of the
        /// area is 1 − (1 − 2·fraction)²; 0.36 for 0.1).
        public var borderShare: [String: Double]?

        public init(targetClass: Int, probability: Double, scores: [String: Scores], randomisation: [ModelRandomisation.Stage]?,
                    limeStability: LIMEStability.Result?, seconds: [String: Double]) {
            self.targetClass = targetClass; self.probability = probability; self.scores = scores
            self.randomisation = randomisation; self.limeStability = limeStability; self.seconds = seconds
        }
    }

    /// The probe's map (method `probe`) needs the model's `probe` and the `radiograph`; it explains the class the
    /// other methods explain, and its curves run through the probe with a random map's beside them ("random/probe").
    public func run(network: Ensemble, input: NetworkInput, options: NetworkInputOptions, methods: [ExplanationMethod],
                    probe: FeatureProbe? = nil, radiograph: Radiograph? = nil) throws(ExplanationSuite.Failure) -> Result {
        var suite = self.suite
        if let first = limeSeeds?.first { suite.lime.seed = first }
        let networkMethods = methods.filter { $0 != .probe }
        var explanations = try suite.explain(network: network, input: input, options: options, methods: networkMethods)
        var chosen = networkMethods.first.map { explanations[$0]!.map.targetClass }
        if methods.contains(.probe) {
            explanations.merge(try suite.explain(network: network, input: input, options: options, methods: [.probe], targetClass: chosen,
                                                 probe: probe, radiograph: radiograph)) { a, _ in a }
            chosen = chosen ?? explanations[.probe]!.map.targetClass
        }
        let any = explanations[methods[0]]!.map
        let c = chosen!
        var scores: [String: Scores] = [:]
        for m in networkMethods {
            let r = scorer.evaluate(network: network, gray: input.gray, options: options, map: explanations[m]!.map.values, targetClass: c)
            scores[m.rawValue] = Scores(deletionAUC: r.deletionAUC, insertionAUC: r.insertionAUC)
        }
        if let map = explanations[.probe]?.map.values, let probe, let radiograph {
            for (name, r) in scorer.probeScores(probe: probe, radiograph: radiograph, options: options, map: map, randomSeed: randomMapSeed, targetClass: c) {
                scores[name] = Scores(deletionAUC: r.deletionAUC, insertionAUC: r.insertionAUC)
            }
        }
        var borderShare: [String: Double]?
        if let borderMask {
            let side = options.size, band = Int((Double(side) * borderMask).rounded())
            borderShare = [:]
            for m in methods where m.cam != nil {
                var map = explanations[m]!.map.values
                let total = map.reduce(0.0) { $0 + Double($1) }
                for y in 0..<side { for x in 0..<side where x < band || y < band || x >= side - band || y >= side - band { map[y * side + x] = 0 } }
                borderShare![m.rawValue] = total > 0 ? 1 - map.reduce(0.0) { $0 + Double($1) } / total : 0
                let r = scorer.evaluate(network: network, gray: input.gray, options: options, map: map, targetClass: c)
                scores[m.rawValue + "/border"] = Scores(deletionAUC: r.deletionAUC, insertionAUC: r.insertionAUC)
            }
        }
        let random = scorer.evaluate(network: network, gray: input.gray, options: options,
                                     map: DeletionInsertion.randomMap(count: input.gray.count, seed: randomMapSeed), targetClass: c)
        scores["random"] = Scores(deletionAUC: random.deletionAUC, insertionAUC: random.insertionAUC)
        let cams = methods.compactMap(\.cam)
        let stages = cams.isEmpty ? nil : randomisation?.run(network: network, input: input.values, methods: cams,
                                                            layer: suite.layer, target: suite.target, targetClass: c)
        var stability: LIMEStability.Result?
        if methods.contains(.lime), let seeds = limeSeeds, seeds.count >= 2 {
            stability = LIMEStability(explainer: suite.lime, seeds: seeds)
                .run(network: network, gray: input.gray, options: options, targetClass: c, first: explanations[.lime]?.lime)
        }
        var result = Result(targetClass: c, probability: Double(any.probabilities[c]), scores: scores, randomisation: stages,
                            limeStability: stability, seconds: explanations.reduce(into: [:]) { $0[$1.key.rawValue] = $1.value.seconds })
        result.borderShare = borderShare
        if methods.contains(.probe), let randomisation, let probe, let radiograph {
            result.probeRandomisation = randomisation.run(probe: probe, backbone: network.members[0], radiograph: radiograph, options: options,
                                                          target: suite.target, targetClass: c)
        }
        return result
    }
}
