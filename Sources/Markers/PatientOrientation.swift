/// What Patient Orientation (0020,0020) says about a projection film: the patient directions its rows and columns
/// run toward ("L\F": rows toward the patient's left, columns toward the feet; PS3.3 C.7.6.1.1.1, each value's
/// first letter its main direction). A frontal film shown as radiographs are read is L\F (R\F mirrored), a lateral
/// A\F or P\F; a column direction other than F means the film is stored turned. The modality sets it, so it is
/// used to *withhold* a view it contradicts (`ViewDecisionPolicy`), never to make one.
public struct PatientOrientation: Sendable, Equatable {
    public enum Family: String, Sendable { case frontal, lateral }

    /// The value as read, "L\F".
    public var value: String
    /// Frontal (rows along left–right) or lateral (rows along front–back), once the film is upright.
    public var family: Family
    /// Degrees clockwise (0, 90, 180, 270) that bring the columns toward the feet.
    public var turnToUpright: Int

    /// Nil for a value that says nothing a projection film's view could be checked against: empty, one value,
    /// letters outside A P R L H F, or both directions in one plane (an axial slice's "L\P").
    public init?(_ value: String) {
        let parts = value.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        guard parts.count == 2, let row = parts[0].first.flatMap({ Direction(rawValue: $0) }),
              let column = parts[1].first.flatMap({ Direction(rawValue: $0) }),
              parts.allSatisfy({ $0.allSatisfy { Direction(rawValue: $0) != nil } }) else { return nil }
        // A clockwise quarter turn takes (row, column) to (−column, row): the new rows run where the old columns came from.
        var (r, c) = (row, column)
        for quarterTurns in 0..<4 {
            if c == .feet, r.axis != .headFoot {
                self.value = parts.joined(separator: "\\")
                family = r.axis == .leftRight ? .frontal : .lateral
                turnToUpright = 90 * quarterTurns
                return
            }
            (r, c) = (c.opposite, r)
        }
        return nil
    }

    /// "Patient Orientation says lateral (A\F)", "Patient Orientation says stored turned (H\L)".
    public var summary: String {
        "Patient Orientation says \(turnToUpright == 0 ? family.rawValue : "stored turned") (\(value))"
    }

    enum Axis { case leftRight, frontBack, headFoot }

    enum Direction: Character {
        case left = "L", right = "R", anterior = "A", posterior = "P", head = "H", feet = "F"

        var axis: Axis {
            switch self {
            case .left, .right: return .leftRight
            case .anterior, .posterior: return .frontBack
            case .head, .feet: return .headFoot
            }
        }

        var opposite: Direction {
            switch self {
            case .left: return .right
            case .right: return .left
            case .anterior: return .posterior
            case .posterior: return .anterior
            case .head: return .feet
            case .feet: return .head
            }
        }
    }
}
