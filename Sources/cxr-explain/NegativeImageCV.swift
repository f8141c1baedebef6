import Classifier

/// The negative-image rule on cross-validation's held-out films: which lie farther from the training films than
/// their negative, and which of those would lose their view because the negative is read differently.
struct NegativeImageCV {
    /// Per held-out film, in the pooled order: the negative's distance minus the film's (nil: not measured), and
    /// the negative's logits.
    var gaps: [Double?] = []
    var negativeLogits: [Float] = []
    var paths: [String] = []

    mutating func add(path: String, gap: Double?, logits: ArraySlice<Float>) {
        paths.append(path)
        gaps.append(gap)
        negativeLogits += logits
    }

    /// The view written at these thresholds, or nil.
    static func view(_ p: ArraySlice<Float>, thresholds: [Double]) -> Int? {
        let best = p.indices.max { p[$0] < p[$1] }! - p.startIndex
        return Double(p[p.startIndex + best]) >= thresholds[best] ? best : nil
    }

    /// One line for the training log, given the held-out films' calibrated probabilities and labels.
    func summary(calibrated: [Float], labels: [Int], classes k: Int, temperature: Double, thresholds: [Double]) -> String? {
        let measured = gaps.compactMap { $0 }
        guard !measured.isEmpty, gaps.count == labels.count else { return nil }
        let negative = Calibration.probabilities(logits: negativeLogits, classes: k, temperature: temperature)
        var nearer = 0, kept = 0, lostRight = 0, lostWrong = 0
        for (i, gap) in gaps.enumerated() where (gap ?? 0) < 0 {
            nearer += 1
            guard let own = Self.view(calibrated[(i * k)..<(i * k + k)], thresholds: thresholds) else { continue }
            if Self.view(negative[(i * k)..<(i * k + k)], thresholds: thresholds) == own { kept += 1 }
            else if own == labels[i] { lostRight += 1 } else { lostWrong += 1 }
        }
        let sorted = measured.sorted()
        return "negative-image check: \(nearer) of \(measured.count) held-out films lie farther than their negative "
            + "(smallest margin \(String(format: "%.1f", sorted[0])), median \(String(format: "%.1f", sorted[sorted.count / 2]))); "
            + "of their views \(kept) kept (the negative agrees), \(lostRight) right and \(lostWrong) wrong withheld"
    }
}
