/// The view we write into headers, with its SNOMED CT code for View Code Sequence (DESIGN §7).
public enum RadiographView: String, Sendable, CaseIterable, Codable {
    case pa = "PA"
    case leftLateral = "LL"
    case rightLateral = "RL"

    /// ViewPosition (0018,5101) value.
    public var viewPosition: String { rawValue }

    /// SNOMED CT code value, scheme "SCT".
    public var codeValue: String {
        switch self {
        case .pa: return "272479007"
        case .leftLateral: return "399173006"
        case .rightLateral: return "399198007"
        }
    }

    public var codeMeaning: String {
        switch self {
        case .pa: return "postero-anterior"
        case .leftLateral: return "left lateral"
        case .rightLateral: return "right lateral"
        }
    }
}
