import Foundation
import Preprocess

/// What a DICOM header's free text says about the projection: "CHEST AP PORTABLE" in Series Description,
/// "XR CHEST PA AND LATERAL" in Study Description. Only a ViewPosition is a view the modality recorded; these
/// words are a radiographer's protocol or an order, so they are used to *withhold* a view that contradicts
/// them, and to settle a film the network already calls surely frontal as AP (`ViewDecisionPolicy`).
public struct HeaderViewText: Sendable, Equatable {
    /// A projection a description names.
    public enum Claim: String, Sendable, Comparable {
        case ap = "AP", pa = "PA", lateral = "lateral"
        public static func < (a: Claim, b: Claim) -> Bool { a.rawValue < b.rawValue }
    }

    /// One description that names at least one projection.
    public struct Statement: Sendable, Equatable {
        /// The attribute's tag path (SeriesDescription, ProcedureCodeSequence[0].CodeMeaning).
        public var attribute: String
        /// Its name as shown (Series Description, Procedure Code).
        public var name: String
        public var claims: Set<Claim>
        /// The words that made the claims, upper case, in the order they stand ("AP", "PORTABLE"). Words of a
        /// fixed vocabulary only, so they can be shown without the description itself (which may hold PHI).
        public var words: [String]

        /// "Series Description says AP (PORTABLE)".
        public var summary: String {
            "\(name) says \(claims.sorted().map(\.rawValue).joined(separator: " and ")) (\(words.joined(separator: ", ")))"
        }
    }

    /// The descriptions that name a projection, in `RadiographTags.descriptionAttributes` order.
    public var statements: [Statement]
    /// Patient Orientation, when it says how the film lies (the modality's, not words; withholds only).
    public var orientation: PatientOrientation?
    /// Distance Source to Detector, when it is a chest film's (the modality's; withholds a PA view only).
    public var sourceDistance: SourceDistance?

    public init(statements: [Statement], orientation: PatientOrientation? = nil, sourceDistance: SourceDistance? = nil) {
        self.statements = statements
        self.orientation = orientation
        self.sourceDistance = sourceDistance
    }

    public init(tags: RadiographTags) {
        orientation = tags.patientOrientation.flatMap(PatientOrientation.init)
        sourceDistance = tags.sourceToDetectorDistance.flatMap(SourceDistance.init(millimetres:))
        statements = RadiographTags.descriptionAttributes.compactMap { attribute in
            guard let text = tags.descriptions?[attribute.path] else { return nil }
            let (claims, words) = Self.claims(in: text)
            return claims.isEmpty ? nil : Statement(attribute: attribute.path, name: attribute.name, claims: claims, words: words)
        }
    }

    /// Words naming the lateral projection; LL and RL are left out (in free text they are as often "left lower").
    static let lateralWords: Set<String> = ["LAT", "LATERAL", "LATERALE", "LATERALES", "LATERALS", "LLAT", "RLAT"]
    static let paWords: Set<String> = ["PA", "POSTEROANTERIOR"]
    static let apWords: Set<String> = ["AP", "APS", "ANTEROPOSTERIOR"]
    /// The burned-in markers' words for a film taken at the bedside or lying (PORTABLE, MOBILE, SUPINE, …): such a
    /// frontal film is AP. Not PRONE (a prone frontal film is PA), nor PORT, which in an order is as often a port
    /// catheter ("CHEST PORT PLACEMENT") as a portable unit.
    static let situationWords = ProjectionMarker.apWords.subtracting(["PRONE", "PORT"])

    /// The projections a description names, and the words that name them. "AP" and "PA" count here, unlike
    /// on burned-in text: typed words, not OCR. "AP/PA" names both (and so settles nothing).
    public static func claims(in text: String) -> (Set<Claim>, [String]) {
        // "p.a." and "a.p." (German and Italian orders), "P-A", "A/P" read as PA and AP.
        let joined = text.replacingOccurrences(of: #"\b([A-Za-z])\.([A-Za-z])\b\.?"#, with: "$1$2", options: .regularExpression)
            .replacingOccurrences(of: #"\b([AaPp])[-/]([AaPp])\b"#, with: "$1$2", options: .regularExpression)
        let words = joined.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
            .split(whereSeparator: { !$0.isLetter }).map(String.init)
        // A decubitus film (LAT DECUB) is a frontal projection taken with the patient on one side.
        let decubitus = words.contains { $0.hasPrefix("DECUB") }
        var claims = Set<Claim>(), named: [String] = []
        for (i, word) in words.enumerated() {
            let next = i + 1 < words.count ? words[i + 1] : ""
            var claim: Claim?
            if apWords.contains(word) || situationWords.contains(word) { claim = .ap }
            if word == "SEMI" && ProjectionMarker.postureWords.contains(next) { claim = .ap }
            if paWords.contains(word) || (word == "POSTERO" && next == "ANTERIOR") { claim = .pa }
            if word == "ANTERO" && next == "POSTERIOR" { claim = .ap }
            if lateralWords.contains(word) && !decubitus { claim = .lateral }
            if let claim {
                claims.insert(claim)
                if !named.contains(word) { named.append(word) }
            }
        }
        return (claims, named)
    }

    /// The first statement that does not name `claim` although it names some projection: it contradicts it.
    public func contradiction(of claim: Claim) -> Statement? {
        statements.first { !$0.claims.contains(claim) }
    }

    /// The first statement naming AP, when none names PA: the header's words say the frontal film is AP.
    public var saysAP: Statement? {
        guard !statements.contains(where: { $0.claims.contains(.pa) }) else { return nil }
        return statements.first { $0.claims.contains(.ap) }
    }
}
