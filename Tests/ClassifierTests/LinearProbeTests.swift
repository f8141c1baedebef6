@testable import Classifier
import TensorEngine
import TestSupport
import Foundation
import Testing

/// The feature probe's logistic regression against torch's L-BFGS on the same objective (probe.safetensors,
/// scripts/make-reference.py), and its cross-validated choice of λ.
struct LinearProbeTests {
    static let t = try! Fixtures.load("probe")
    static let features = t["features"]!.values
    static let labels = t["labels"]!.values.map { Int($0) }
    static let d = 12

    @Test("the fit reaches torch's minimum: weights, bias and training probabilities")
    func matchesTorch() {
        let probe = LogisticRegression.fit(features: Self.features, dimension: Self.d, labels: Self.labels, classes: 3,
                                           lambda: Double(Self.t["lambda"]!.values[0]))
        let weight = TensorComparison("weight", actual: probe.weight, expected: Self.t["weight"]!.values, tolerance: 1e-4)
        #expect(weight.ok, "\(weight)")
        let bias = TensorComparison("bias", actual: probe.bias, expected: Self.t["bias"]!.values, tolerance: 1e-4)
        #expect(bias.ok, "\(bias)")
        let p = SoftmaxCrossEntropy.softmax(probe.logits(features: Self.features), classes: 3)
        let probabilities = TensorComparison("probabilities", actual: p, expected: Self.t["probabilities"]!.values, tolerance: 1e-5)
        #expect(probabilities.ok, "\(probabilities)")
    }

    @Test("the gradient vanishes at the fit, and a stronger penalty gives smaller weights")
    func optimality() {
        let strong = LogisticRegression.fit(features: Self.features, dimension: Self.d, labels: Self.labels, classes: 3, lambda: 3)
        let weak = LogisticRegression.fit(features: Self.features, dimension: Self.d, labels: Self.labels, classes: 3, lambda: 0.03)
        func norm(_ w: [Float]) -> Float { w.reduce(0) { $0 + $1 * $1 } }
        #expect(norm(strong.weight) < norm(weak.weight) / 4)
        // Rebuild the objective from the probe's standardisation and check its gradient at the fit.
        let n = Self.labels.count, d = Self.d
        let a = (0..<(n * d)).map { Double((Self.features[$0] - strong.mean[$0 % d]) * strong.scale[$0 % d]) }
        let counts = (0..<3).map { c in Self.labels.filter { $0 == c }.count }
        let objective = LogisticRegression.Objective(a: a, labels: Self.labels, n: n, d: d, k: 3,
                                                     classWeight: counts.map { Double(n) / (3 * Double($0)) }, lambda: 3)
        let (_, gradient) = objective.valueAndGradient((strong.weight + strong.bias).map(Double.init))
        #expect(gradient.map(abs).max()! < 1e-5)
    }

    @Test("λ by cross-validation over groups: noise features want a strong penalty, the same fit whatever the thread count")
    func lambdaChoice() {
        // Labels unrelated to the features: the held-out loss is least with the strongest penalty.
        var rng = SplitMix64(seed: 7)
        let n = 60, d = 20
        let noise = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let labels = (0..<n).map { $0 % 3 }, groups = (0..<n).map { $0 % 5 }
        let (lambda, losses) = LogisticRegression.chooseLambda(features: noise, dimension: d, labels: labels, classes: 3, groups: groups)
        #expect(lambda == LogisticRegression.lambdaCandidates.last!)
        #expect(losses.count == LogisticRegression.lambdaCandidates.count)
        // The fixture's informative features want a weaker one than the largest.
        let informative = LogisticRegression.chooseLambda(features: Self.features, dimension: Self.d, labels: Self.labels, classes: 3,
                                                          groups: Self.labels.indices.map { $0 % 4 })
        #expect(informative.lambda < LogisticRegression.lambdaCandidates.last!)
        Parallel.setThreads(1)
        let single = LogisticRegression.chooseLambda(features: noise, dimension: d, labels: labels, classes: 3, groups: groups)
        Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount)
        #expect(single.losses == losses)
    }
}
