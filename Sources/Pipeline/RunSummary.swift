/// Counts over a run's records.
public struct RunSummary: Sendable, Codable, Equatable {
    public var images = 0
    /// Certain views by class name (PA, AP, L, …).
    public var views: [String: Int] = [:]
    public var frontalUncertain = 0
    public var uncertain = 0
    /// Not a chest radiograph: refused by the header gate or the content check.
    public var skipped = 0
    public var disagreements = 0
    public var tagged = 0
    public var failures = 0

    public init(_ records: [ImageRecord]) {
        images = records.count
        for r in records {
            switch r.status {
            case .failed: failures += 1; continue
            case .skipped: skipped += 1; continue
            case .done: break
            }
            if let view = r.view { views[view, default: 0] += 1 } else if r.decision == "frontal-uncertain" { frontalUncertain += 1 } else { uncertain += 1 }
            if r.agreement == "disagree" { disagreements += 1 }
            if r.headerAction == .tagged { tagged += 1 }
        }
    }

    /// "3 PA, 2 AP, 1 L" in the order given (the model's classes), then any others.
    public func viewCounts(order: [String]) -> String {
        let names = order + views.keys.filter { !order.contains($0) }.sorted()
        return names.map { "\(views[$0, default: 0]) \($0)" }.joined(separator: ", ")
    }
}
