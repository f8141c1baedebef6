import Classifier
import TensorEngine
import Foundation
import Preprocess

/// LIME for images (Ribeiro et al., `lime_image`): superpixels, Bernoulli(0.5) on/off samples with the
/// first all on, hidden superpixels filled with their mean, lime's kernel √(exp(−d²/w²)) (w = 0.25) on the
/// cosine distance to the all-on sample, weighted ridge (α = 1, intercept) on the class probability.
public struct LIMEExplainer: Sendable {
    public var samples: Int
    public var kernelWidth: Double
    public var seed: UInt64
    public var slic: SLIC
    public var batch: Int

    public init(samples: Int = 1000, kernelWidth: Double = 0.25, seed: UInt64 = 0, slic: SLIC = SLIC(), batch: Int = 16) {
        self.samples = samples
        self.kernelWidth = kernelWidth
        self.seed = seed
        self.slic = slic
        self.batch = batch
    }

    public struct Explanation: Sendable {
        public var segments: [Int32]
        public var segmentCount: Int
        /// Ridge coefficient per superpixel for the target class.
        public var weights: [Double]
        public var intercept: Double
        public var targetClass: Int
        public var probabilities: [Float]
        /// Per pixel: its superpixel's weight.
        public var map: [Float]

        public init(segments: [Int32], segmentCount: Int, weights: [Double], intercept: Double, targetClass: Int,
                    probabilities: [Float], map: [Float]) {
            self.segments = segments; self.segmentCount = segmentCount; self.weights = weights; self.intercept = intercept
            self.targetClass = targetClass; self.probabilities = probabilities; self.map = map
        }
    }

    /// The sample matrix: `samples × features` of 0/1, first row all ones (seeded).
    public func sampleMatrix(features: Int) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var z = [UInt8](repeating: 1, count: samples * features)
        for i in features..<(samples * features) { z[i] = UInt8(truncatingIfNeeded: rng.next() >> 63) }
        return z
    }

    /// lime's kernel on the cosine distance of each row to the all-ones row.
    public func kernelWeights(_ z: [UInt8], features p: Int) -> [Double] {
        (0..<(z.count / p)).map { i in
            let ones = Double((0..<p).reduce(0) { $0 + Int(z[i * p + $1]) })
            let cosine = ones == 0 ? 0 : ones / (ones.squareRoot() * Double(p).squareRoot())
            let d = 1 - cosine
            return (exp(-(d * d) / (kernelWidth * kernelWidth))).squareRoot()
        }
    }

    /// Fits the surrogate from a sample matrix and the model's probabilities for the target class.
    public func fit(z: [UInt8], features p: Int, probabilities: [Double]) -> (weights: [Double], intercept: Double)? {
        RidgeRegression.fit(x: z.map(Double.init), y: probabilities, weights: kernelWeights(z, features: p), features: p, alpha: 1)
            .map { ($0.coefficients, $0.intercept) }
    }

    public func explain(network: Ensemble, gray: [Float], options: NetworkInputOptions, targetClass: Int? = nil) -> Explanation? {
        let size = options.size
        let (segments, count) = slic.labels(gray: gray, width: size, height: size)
        var means = [Float](repeating: 0, count: count), sizes = [Float](repeating: 0, count: count)
        for i in gray.indices { means[Int(segments[i])] += gray[i]; sizes[Int(segments[i])] += 1 }
        for k in 0..<count { means[k] /= max(sizes[k], 1) }
        let z = sampleMatrix(features: count)
        // Hidden superpixels take their mean; images are made inside the workers, a batch at a time.
        let probabilities = ParallelPredictor.probabilities(network, count: samples, batch: batch, options: options) { [means] row in
            var g = gray
            for i in g.indices where z[row * count + Int(segments[i])] == 0 { g[i] = means[Int(segments[i])] }
            return g
        }
        let original = Array(probabilities[0..<network.classes])
        let c = targetClass ?? (original[1] > original[0] ? 1 : 0)
        let y = (0..<samples).map { Double(probabilities[$0 * network.classes + c]) }
        guard let (w, b) = fit(z: z, features: count, probabilities: y) else { return nil }
        return Explanation(segments: segments, segmentCount: count, weights: w, intercept: b, targetClass: c,
                           probabilities: original, map: segments.map { Float(w[Int($0)]) })
    }
}
