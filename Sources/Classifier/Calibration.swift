import Foundation
import TensorEngine

/// Temperature scaling (Guo et al. 2017): probabilities are softmax(logits / T), with T fitted to minimise
/// the negative log-likelihood of held-out logits (the patient-wise cross-validation folds). T > 1 softens
/// an over-confident network; the ranking of classes never changes.
public enum Calibration {
    /// softmax(logits / temperature), row-wise over `classes`.
    public static func probabilities(logits: [Float], classes k: Int, temperature: Double) -> [Float] {
        SoftmaxCrossEntropy.softmax(logits.map { Float(Double($0) / temperature) }, classes: k)
    }

    /// Calibrated probabilities from a network's plain softmax p: softmax(z / T) = p^(1/T) / Σ p^(1/T).
    public static func probabilities(fromSoftmax p: [Float], temperature: Double) -> [Double] {
        let powered = p.map { pow(max(Double($0), 1e-300), 1 / temperature) }
        let sum = powered.reduce(0, +)
        return powered.map { $0 / sum }
    }

    /// Mean negative log-likelihood of the labels at a temperature (double precision).
    public static func negativeLogLikelihood(logits: [Float], labels: [Int], classes k: Int, temperature t: Double) -> Double {
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let row = (0..<k).map { Double(logits[i * k + $0]) / t }
            let top = row.max()!
            let logSum = top + log(row.reduce(0) { $0 + exp($1 - top) })
            total += logSum - row[label]
        }
        return total / Double(max(1, labels.count))
    }

    /// The temperature in [0.05, 20] with the least NLL: golden-section search on log T (the NLL is
    /// unimodal in T for fixed logits).
    public static func fitTemperature(logits: [Float], labels: [Int], classes k: Int) -> Double {
        var lo = log(0.05), hi = log(20.0)
        let ratio = (5.0.squareRoot() - 1) / 2
        func nll(_ x: Double) -> Double { negativeLogLikelihood(logits: logits, labels: labels, classes: k, temperature: exp(x)) }
        var a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo)
        var fa = nll(a), fb = nll(b)
        for _ in 0..<80 {
            if fa < fb { hi = b; b = a; fb = fa; a = hi - ratio * (hi - lo); fa = nll(a) } else { lo = a; a = b; fa = fb; b = lo + ratio * (hi - lo); fb = nll(b) }
        }
        return exp((lo + hi) / 2)
    }
}
