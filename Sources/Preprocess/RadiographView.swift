/// A radiographic view: the one view type of the project. A model file names its classes with these,
/// headers are read into them, and the writers put their ViewPosition (0018,5101) and their SNOMED CT code
/// (CID 4010, scheme "SCT") into View Code Sequence.
public struct RadiographView: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which views can be told apart from the pixels: frontal films from laterals; within frontal, AP from PA.
    public enum Family: String, Sendable, Codable { case frontal, lateral, other }

    /// The class name a model file and a dataset use: PA, AP, L.
    public var name: String
    /// The ViewPosition value written (CS, PS3.3 C.8.11.5 / C.8.11.7: AP, PA, LL, RL, …).
    public var viewPosition: String
    /// SNOMED CT code for View Code Sequence; nil for a class that has none (never written then).
    public var codeValue: String?
    public var codeMeaning: String?
    public var family: Family

    public init(name: String, viewPosition: String, codeValue: String?, codeMeaning: String?, family: Family) {
        self.name = name; self.viewPosition = viewPosition; self.codeValue = codeValue
        self.codeMeaning = codeMeaning; self.family = family
    }

    public var description: String { name }

    public static let pa = RadiographView(name: "PA", viewPosition: "PA", codeValue: "272479007", codeMeaning: "postero-anterior", family: .frontal)
    public static let ap = RadiographView(name: "AP", viewPosition: "AP", codeValue: "399348003", codeMeaning: "antero-posterior", family: .frontal)
    /// A lateral whose side the pixels do not tell; written as `--lateral-term` (LL by default).
    public static let lateral = RadiographView(name: "L", viewPosition: "LL", codeValue: "399173006", codeMeaning: "left lateral", family: .lateral)
    public static let leftLateral = RadiographView(name: "LL", viewPosition: "LL", codeValue: "399173006", codeMeaning: "left lateral", family: .lateral)
    public static let rightLateral = RadiographView(name: "RL", viewPosition: "RL", codeValue: "399198007", codeMeaning: "right lateral", family: .lateral)

    /// The views this code knows by name; a model file may define others (see `ModelFile`).
    public static let known: [RadiographView] = [.pa, .ap, .lateral, .leftLateral, .rightLateral]

    /// Reads a header value or a dataset label: PA, AP, LL, RL and their common spellings (P-A, AP SUPINE,
    /// AP_HORIZONTAL, LAT, LATERAL, …). Decubitus (LLD, RLD), oblique and unknown values give nil: they are
    /// none of the views a model here predicts.
    public init?(label raw: String) {
        let text = raw.uppercased().trimmingCharacters(in: .whitespaces)
            .replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: " ")
        let words = text.split(separator: " ").map(String.init)
        guard let first = words.first else { return nil }
        let lateralWords = words.dropFirst().allSatisfy { $0.hasPrefix("LAT") }
        switch first {
        case "PA", "POSTEROANTERIOR": self = .pa
        case "AP", "APS", "ANTEROPOSTERIOR": self = .ap
        case "LL", "LLAT": self = .leftLateral
        case "RL", "RLAT": self = .rightLateral
        case "LEFT" where words.count > 1 && lateralWords: self = .leftLateral
        case "RIGHT" where words.count > 1 && lateralWords: self = .rightLateral
        case "L", "LAT", "LATERAL": self = .lateral
        default: return nil
        }
    }

    /// The view a View Code Sequence code names: the SNOMED CT codes written today and the SNOMED-RT ones
    /// (scheme SRT) older DX modalities write; nil for any other code (oblique, decubitus, …).
    public init?(code: String) {
        switch code.trimmingCharacters(in: .whitespaces) {
        case "272479007", "R-10214": self = .pa
        case "399348003", "R-10206": self = .ap
        case "399173006", "R-10232": self = .leftLateral
        case "399198007", "R-10236": self = .rightLateral
        default: return nil
        }
    }

    /// Whether a header holding `self` says the same as a prediction of `other`: the same frontal view, or
    /// any lateral for a lateral (the pixels do not tell the side).
    public func sameView(as other: RadiographView) -> Bool {
        guard family == other.family else { return false }
        return family == .lateral || viewPosition == other.viewPosition
    }

    /// For a lateral class, the lateral term chosen for writing; other views are returned as they are.
    public func written(lateralTerm: RadiographView) -> RadiographView {
        guard family == .lateral, name == RadiographView.lateral.name else { return self }
        var v = lateralTerm
        v.name = name
        return v
    }

    /// Whether the writers can put this view into a header (a ViewPosition term and its code).
    public var isWritable: Bool { codeValue != nil && codeMeaning != nil && family != .other }
}
