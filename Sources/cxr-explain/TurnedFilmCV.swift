import Classifier
import Preprocess
import TensorEngine

/// The turned-film rule (`ViewDecisionPolicy.applyingOrientation`) on cross-validation's held-out films: how many
/// upright films it would wrongly call turned, and how many of the films turned by a quarter or half turn it
/// catches, with the views the network would write on the turned films it does not.
struct TurnedFilmCV {
    /// Per held-out film, in the pooled order: its content distance upright, then turned 90°, 180° and 270°
    /// clockwise (nil: no content check could be fitted).
    var distances: [[Double]?] = []
    /// Per held-out film, the logits of its three turns (3 · classes values).
    var turnedLogits: [Float] = []

    /// One fold's held-out films (`grays`, network inputs, with their `own` content distances).
    mutating func add(fold grays: [[Float]], own: [Double], network: Ensemble, check: ContentCheck?, workspace: EnsembleWorkspace,
                      options: NetworkInputOptions, classes k: Int) {
        let turns = grays.flatMap { gray in (1...3).map { NetworkInput.turned(gray: gray, quarterTurns: $0) } }
        let out = Trainer.logitsAndFeatures(network, grays: turns, workspace: workspace, options: options)
        turnedLogits += out.logits
        guard let check, own.count == grays.count else {
            distances += [[Double]?](repeating: nil, count: grays.count)
            return
        }
        let turned = check.distances(features: out.features)
        for row in grays.indices { distances.append([own[row]] + turned[(3 * row)..<(3 * row + 3)]) }
    }

    /// Whether a film whose four distances (as stored first, then turned by one, two, three quarter turns from
    /// there) are `d` is called turned at this limit.
    static func looksTurned(_ d: [Double], limit: Double) -> Bool {
        ContentCheck.uprightTurn(stored: d[0], turned: Array(d.dropFirst()), limit: limit) != nil
    }

    /// Views written on turned films, right and wrong, without and with the check.
    struct Tally { var wrong = 0, right = 0, wrongChecked = 0, rightChecked = 0
        mutating func add(right: Bool, caught: Bool) {
            if right { self.right += 1 } else { wrong += 1 }
            if !caught { if right { rightChecked += 1 } else { wrongChecked += 1 } }
        }
        var text: String { "\(wrong) wrong and \(right) right without the check, \(wrongChecked) wrong and \(rightChecked) right with it" }
    }

    /// One line for the training log, given the held-out films' calibrated probabilities, labels and the limit.
    func summary(calibrated: [Float], labels: [Int], classes k: Int, temperature: Double,
                 asDecided: ([Float]) -> [Float] = { $0 }, thresholds: [Double], limit: Double) -> String? {
        guard distances.count == labels.count, distances.contains(where: { $0 != nil }) else { return nil }
        let turned = Calibration.probabilities(logits: asDecided(turnedLogits), classes: k, temperature: temperature)
        var films = 0, flagged = 0, lostRight = 0, lostWrong = 0, caught = [0, 0, 0]
        var vouched = Tally(), unvouched = Tally()
        for (i, entry) in distances.enumerated() {
            guard let d = entry else { continue }
            films += 1
            if Self.looksTurned(d, limit: limit) {
                flagged += 1
                if let view = NegativeImageCV.view(calibrated[(i * k)..<(i * k + k)], thresholds: thresholds) {
                    if view == labels[i] { lostRight += 1 } else { lostWrong += 1 }
                }
            }
            for t in 1...3 {
                // The film stored turned by t quarter turns clockwise: turning it by 4 − t more sets it upright.
                let stored = [d[t]] + (1...3).map { d[(t + $0) % 4] }
                let isCaught = Self.looksTurned(stored, limit: limit)
                if isCaught { caught[t - 1] += 1 }
                let row = (3 * i + t - 1) * k
                guard let view = NegativeImageCV.view(turned[row..<(row + k)], thresholds: thresholds) else { continue }
                // A header that vouches for a chest film lets the network decide whatever the distance; without one
                // the content check refuses the film beyond the limit.
                vouched.add(right: view == labels[i], caught: isCaught)
                if stored[0] <= limit { unvouched.add(right: view == labels[i], caught: isCaught) }
            }
        }
        return "turned-film check: \(flagged) of \(films) held-out films called turned (views withheld: \(lostRight) right, \(lostWrong) wrong); "
            + "the same films turned 90°, 180°, 270° clockwise: \(caught.map(String.init).joined(separator: ", ")) of \(films) caught; "
            + "views written on the turned films with a header that says chest: \(vouched.text); without one: \(unvouched.text)"
    }
}
