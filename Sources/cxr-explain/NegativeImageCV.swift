import Classifier
import Preprocess
import TensorEngine

/// The negative-image rule on cross-validation's held-out films: which lie farther from the training films than
/// their negative, and which of those would lose their view because the negative is read differently.
struct NegativeImageCV {
    /// Per held-out film, in the pooled order: the negative's distance minus the film's (nil: not measured), and
    /// the negative's logits.
    var gaps: [Double?] = []
    var negativeLogits: [Float] = []

    /// One fold's held-out films (`paths`, their `own` content distances) through the fold's network and content
    /// check (nil: none could be fitted); names each film whose negative lies nearer.
    mutating func add(fold paths: [String], own: [Double], network: Ensemble, check: ContentCheck?, workspace: EnsembleWorkspace,
                      options: NetworkInputOptions, classes k: Int) {
        let negativeGrays = check == nil ? [] : paths.compactMap { path in
            (try? RadiographLoader.load(path: path)).map { NetworkInput.negativeGray(of: $0, options: options) }
        }
        guard let check, negativeGrays.count == paths.count else {
            gaps += [Double?](repeating: nil, count: paths.count)
            negativeLogits += [Float](repeating: 0, count: paths.count * k)
            return
        }
        let negative = Trainer.logitsAndFeatures(network, grays: negativeGrays, workspace: workspace, options: options)
        for (row, distance) in check.distances(features: negative.features).enumerated() {
            let gap = distance - own[row]
            gaps.append(gap)
            if gap < 0 { print(String(format: "  its negative lies nearer: %@ (by %.1f)", paths[row], -gap)) }
        }
        negativeLogits += negative.logits
    }

    /// The view written at these thresholds, or nil.
    static func view(_ p: ArraySlice<Float>, thresholds: [Double]) -> Int? {
        let best = p.indices.max { p[$0] < p[$1] }! - p.startIndex
        return Double(p[p.startIndex + best]) >= thresholds[best] ? best : nil
    }

    /// One line for the training log, given the held-out films' calibrated probabilities and labels.
    func summary(calibrated: [Float], labels: [Int], classes k: Int, temperature: Double,
                 asDecided: ([Float]) -> [Float] = { $0 }, thresholds: [Double]) -> String? {
        let measured = gaps.compactMap { $0 }
        guard !measured.isEmpty, gaps.count == labels.count else { return nil }
        let negative = Calibration.probabilities(logits: asDecided(negativeLogits), classes: k, temperature: temperature)
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
