import TensorEngine
import Foundation

/// Classification metrics for K view classes (ROC AUC: one class against the rest, averaged over classes).
public struct ClassificationMetrics: Sendable, Codable, Equatable {
    public var count: Int
    public var accuracy: Double
    public var balancedAccuracy: Double
    /// confusion[true][predicted]
    public var confusion: [[Int]]
    /// Per class; 0 where the class was never predicted (precision) or has no images (recall): see `confusion`.
    public var precision: [Double]
    public var recall: [Double]
    /// Macro one-vs-rest; nil when no class has both positives and negatives.
    public var rocAUC: Double?
    /// Expected calibration error over 10 equal-width confidence bins.
    public var expectedCalibrationError: Double
    public var meanLoss: Double

    /// - Parameters: probabilities (N, K) row-major; labels N.
    public init(probabilities: [Float], labels: [Int], classes k: Int) {
        let n = labels.count
        count = n
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var loss = 0.0
        var bins = [(count: Int, confidence: Double, correct: Int)](repeating: (0, 0, 0), count: 10)
        for i in 0..<n {
            let row = Array(probabilities[(i * k)..<(i * k + k)])
            let predicted = row.indices.max { row[$0] < row[$1] }!
            confusion[labels[i]][predicted] += 1
            loss += -log(max(Double(row[labels[i]]), 1e-12))
            let confidence = Double(row[predicted])
            let bin = min(9, Int(confidence * 10))
            bins[bin].count += 1
            bins[bin].confidence += confidence
            bins[bin].correct += predicted == labels[i] ? 1 : 0
        }
        self.confusion = confusion
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        accuracy = n > 0 ? Double(correct) / Double(n) : 0
        let recall = (0..<k).map { c in
            let total = confusion[c].reduce(0, +)
            return total > 0 ? Double(confusion[c][c]) / Double(total) : 0
        }
        self.recall = recall
        precision = (0..<k).map { c in
            let total = (0..<k).reduce(0) { $0 + confusion[$1][c] }
            return total > 0 ? Double(confusion[c][c]) / Double(total) : 0
        }
        // The mean recall over the classes that occur (as scikit-learn's balanced_accuracy_score): a class with
        // no images has no recall to average.
        let occurring = (0..<k).filter { c in confusion[c].reduce(0, +) > 0 }
        balancedAccuracy = occurring.isEmpty ? 0 : occurring.reduce(0.0) { $0 + recall[$1] } / Double(occurring.count)
        meanLoss = n > 0 ? loss / Double(n) : 0
        expectedCalibrationError = n > 0 ? bins.reduce(0.0) { acc, b in
            b.count == 0 ? acc : acc + Double(b.count) / Double(n) * abs(b.confidence / Double(b.count) - Double(b.correct) / Double(b.count))
        } : 0
        // ROC AUC = P(score of a random positive > score of a random negative), ties count half; per class
        // against the rest, averaged over the classes that have both.
        var aucs: [Double] = []
        for c in 0..<k {
            let scores = (0..<n).map { Double(probabilities[$0 * k + c]) }
            let positives = (0..<n).filter { labels[$0] == c }, negatives = (0..<n).filter { labels[$0] != c }
            if positives.isEmpty || negatives.isEmpty { continue }
            var wins = 0.0
            for p in positives { for q in negatives { wins += scores[p] > scores[q] ? 1 : (scores[p] == scores[q] ? 0.5 : 0) } }
            aucs.append(wins / Double(positives.count * negatives.count))
        }
        rocAUC = aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
    }
}
