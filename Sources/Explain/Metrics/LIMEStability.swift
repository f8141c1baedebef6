import Classifier
import TensorEngine
import Preprocess

/// LIME's stability across seeds: the superpixels are fixed (SLIC has no randomness), only the samples
/// change; the mean pairwise Spearman ρ of the superpixel weights. 1 is perfectly stable.
public struct LIMEStability: Sendable {
    public var explainer: LIMEExplainer
    public var seeds: [UInt64]

    public init(explainer: LIMEExplainer, seeds: [UInt64] = [0, 1, 2]) {
        precondition(seeds.count >= 2, "stability needs two seeds or more")
        self.explainer = explainer
        self.seeds = seeds
    }

    public struct Result: Sendable, Codable {
        public var seeds: [UInt64]
        public var meanRho: Double
        public var minRho: Double
    }

    /// - Parameter first: an explanation already computed with `seeds[0]`, reused if given.
    public func run(network: Ensemble, gray: [Float], options: NetworkInputOptions, targetClass: Int,
                    first: LIMEExplainer.Explanation? = nil) -> Result? {
        var weights: [[Double]] = []
        for (i, seed) in seeds.enumerated() {
            if i == 0, let first { weights.append(first.weights); continue }
            var e = explainer
            e.seed = seed
            guard let x = e.explain(network: network, gray: gray, options: options, targetClass: targetClass) else { return nil }
            weights.append(x.weights)
        }
        var rhos: [Double] = []
        for i in 0..<weights.count { for j in (i + 1)..<weights.count { rhos.append(Spearman.correlation(weights[i], weights[j]) ?? 0) } }
        return Result(seeds: seeds, meanRho: rhos.reduce(0, +) / Double(rhos.count), minRho: rhos.min()!)
    }
}
