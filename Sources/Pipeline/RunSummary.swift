/// Counts over a run's records.
public struct RunSummary: Sendable, Codable, Equatable {
    public var images = 0
    public var pa = 0
    public var lateral = 0
    public var uncertain = 0
    public var disagreements = 0
    public var tagged = 0
    public var failures = 0

    public init(_ records: [ImageRecord]) {
        images = records.count
        for r in records {
            if r.status == .failed { failures += 1; continue }
            switch r.view {
            case "PA": pa += 1
            case "L": lateral += 1
            default: uncertain += 1
            }
            if r.agreement == "disagree" { disagreements += 1 }
            if r.headerAction == .tagged || r.headerAction == .converted { tagged += 1 }
        }
    }
}
