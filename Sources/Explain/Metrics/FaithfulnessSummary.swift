/// A dataset's faithfulness table: per method, the mean and standard deviation of each score over images.
public struct FaithfulnessSummary: Sendable, Codable {
    public struct Statistic: Sendable, Codable {
        public var mean: Double
        public var sd: Double
        public var n: Int

        public init(_ values: [Double]) {
            n = values.count
            mean = n == 0 ? .nan : values.reduce(0, +) / Double(n)
            let m = mean
            sd = n < 2 ? 0 : (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
        }
    }

    public struct Row: Sendable, Codable {
        public var method: String
        public var deletionAUC: Statistic
        public var insertionAUC: Statistic
        /// Images where the method's deletion AUC is below the random map's.
        public var beatsRandomOnDeletion: Int
        /// Spearman ρ to the trained model's map after randomising conv10 only (for the probe's map: the probe's
        /// weights only), and after every stage (constant randomised maps count as ρ = 0); nil for methods not in the
        /// check.
        public var randomisedConv10Rho: Statistic?
        public var randomisedAllRho: Statistic?
        /// Images whose randomised map became constant somewhere in the cascade.
        public var constantRandomisedMaps: Int?
    }

    public var methods: [Row]
    public var limeStability: Statistic?
    public var images: Int

    public init(results: [FaithfulnessCheck.Result], methods: [String]) {
        images = results.count
        // The probe's map is scored through the probe, against a random map scored the same way.
        let baselines = ["random"] + (methods.contains(ExplanationMethod.probe.rawValue) ? ["random/probe"] : [])
        self.methods = (methods + baselines).map { m in
            let scored = results.compactMap { $0.scores[m] }
            let baseline = [ExplanationMethod.probe.rawValue, "random/probe"].contains(m) ? "random/probe" : "random"
            let beats = results.filter { r in
                guard let s = r.scores[m]?.deletionAUC, let random = r.scores[baseline]?.deletionAUC else { return false }
                return s < random
            }.count
            // The probe's map has its own cascade (its weights first, then its backbone); the first stage is then the
            // probe's weights rather than conv10.
            let cascades = results.compactMap { r in
                (m == ExplanationMethod.probe.rawValue ? r.probeRandomisation : r.randomisation).flatMap { stages in stages.first?.rho[m] != nil ? stages : nil }
            }
            func rho(_ stage: ModelRandomisation.Stage?) -> Double { (stage?.rho[m] ?? nil) ?? 0 }
            return Row(method: m, deletionAUC: Statistic(scored.map(\.deletionAUC)), insertionAUC: Statistic(scored.map(\.insertionAUC)),
                       beatsRandomOnDeletion: beats,
                       randomisedConv10Rho: cascades.isEmpty ? nil : Statistic(cascades.map { rho($0.first) }),
                       randomisedAllRho: cascades.isEmpty ? nil : Statistic(cascades.map { rho($0.last) }),
                       constantRandomisedMaps: cascades.isEmpty ? nil
                           : cascades.filter { $0.contains { s in s.rho[m] != nil && s.rho[m]! == nil } }.count)
        }
        let stabilities = results.compactMap { $0.limeStability?.meanRho }
        limeStability = stabilities.isEmpty ? nil : Statistic(stabilities)
    }
}
