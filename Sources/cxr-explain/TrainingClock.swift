import Foundation

/// Time left in a whole `train` run — every epoch of every fold and member, then the final model — from the
/// mean time of the epochs done so far. With early stopping a run may end sooner, so the estimate is "at most".
final class TrainingClock {
    private(set) var totalEpochs: Int
    private(set) var done = 0
    private var seconds = 0.0
    private let mayStopEarly: Bool
    private let members: Int, plannedEpochs: Int

    /// `folds` 0 without cross-validation; `finalModel` false under `--cv-only`.
    init(folds: Int, members: Int, epochs: Int, finalModel: Bool, mayStopEarly: Bool) {
        totalEpochs = (folds + (finalModel ? 1 : 0)) * members * epochs
        self.mayStopEarly = mayStopEarly
        self.members = members
        plannedEpochs = epochs
    }

    /// The final model's epoch count, once cross-validation has chosen it (the planned count was counted).
    func finalModelEpochs(_ epochs: Int) {
        totalEpochs += (epochs - plannedEpochs) * members
    }

    /// Counts one finished epoch and says what is left, e.g. "12 of 120 epochs in all, about 9 min left".
    func epochFinished(seconds s: Double) -> String {
        done += 1
        seconds += s
        let left = seconds / Double(done) * Double(max(0, totalEpochs - done))
        return "\(done) of \(mayStopEarly ? "at most " : "")\(totalEpochs) epochs in all, \(mayStopEarly ? "at most" : "about") \(Self.duration(left)) left"
    }

    static func duration(_ s: Double) -> String {
        s < 90 ? "\(Int(s.rounded())) s" : s < 5400 ? "\(Int((s / 60).rounded())) min" : String(format: "%.1f h", s / 3600)
    }
}
