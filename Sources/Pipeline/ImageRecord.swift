import Classifier
import Foundation

/// What `process` did with one input: the run's memory of it (resuming) and one row of the report.
public struct ImageRecord: Sendable, Codable {
    /// done: classified (a view may or may not have been written); skipped: not a chest radiograph (header
    /// gate or content check), nothing written; failed: unreadable or unwritable, nothing left behind.
    public enum Status: String, Sendable, Codable { case done, skipped, failed }

    /// What happened to the header's view.
    public enum HeaderAction: String, Sendable, Codable {
        /// A tagged copy (or the input itself with --in-place) now carries the view.
        case tagged
        /// The header already said so; nothing written.
        case unchanged
        /// The header says something else and --overwrite-view was not given.
        case keptDifferent = "kept-different"
        /// No certain view (uncertain, or frontal with AP/PA uncertain): never written.
        case uncertain
        /// The object's IOD defines no view attribute (Secondary Capture, converted PNG/JPEG): the view is
        /// in the SR and the report only.
        case notInIOD = "not-in-iod"
        /// --anonymize: no tagged copy (it would carry the source's whole header).
        case notWrittenAnonymized = "not-written-anonymized"
    }

    public struct Output: Sendable, Codable {
        /// Relative to the output folder.
        public var path: String
        public var kind: OutputKind
        public var sopInstanceUID: String?
    }

    public var input: String
    public var relativePath: String
    public var inputSHA256: String
    public var settingsDigest: String
    /// When the tool first acted on this content (UTC, whole seconds): the creation and modification times
    /// of what it writes. A rerun on the same input keeps it, so the same objects come out byte for byte.
    public var actedAt: Date?
    public var status: Status
    public var error: String?
    /// A failure of the environment, not of the input (the output could not be written: disk full, no
    /// permission, a read-only filesystem); a retry may succeed. `process` then exits 75 (EX_TEMPFAIL).
    public var transient: Bool?
    /// What was done despite a fault in the input (an invalid source UID carried as it is).
    public var warnings: [String] = []
    /// Why the image was skipped (header gate or content check).
    public var skipReason: String?
    public var format: String?
    /// The decision: view, frontal-uncertain, uncertain, not-chest, skipped.
    public var decision: String?
    /// The certain view (PA, AP, L), or nil.
    public var view: String?
    /// Why no view was decided, in words.
    public var decisionReason: String?
    /// The burned-in marker read on the film that decided or vetoed its view (PORTABLE, SUPINE, PA ERECT, …).
    public var marker: String?
    /// The header's words that withheld the view or settled it as AP ("Series Description says AP (PORTABLE)"), or
    /// the Patient Orientation that withheld it ("Patient Orientation says lateral (A\F)").
    public var headerText: String?

    /// What decided the written view besides the network (its burned-in marker, the header's words), in words;
    /// nil otherwise.
    public var basis: String? { view != nil ? ViewDecision.basis(marker: marker, headerText: headerText) : nil }
    public var contentDistance: Double?
    /// Degrees clockwise that would set the film upright, when it looks stored turned (then no view is written).
    public var turnToUpright: Int?
    public var mostLikely: String?
    public var probability: Double?
    public var probabilities: [String: Double]?
    /// For a model with a feature probe: the most likely class's probability by the networks alone and by the
    /// probe alone, each calibrated (`ViewDecision.Parts`); the decision's `probability` is their mix's.
    public var networkProbability: Double?
    public var probeProbability: Double?
    public var headerView: String?
    /// agree, disagree, no-header, header-not-understood, undecided.
    public var agreement: String?
    public var headerAction: HeaderAction?
    public var outputs: [Output] = []
    /// Relative to the output folder: the source thumbnail, then one per method.
    public var thumbnails: [String: String] = [:]
    /// Seconds per stage: read, preprocess, classify, one per method, write.
    public var seconds: [String: Double] = [:]
    /// Only with --show-phi.
    public var patientName: String?
    public var patientID: String?
    public var studyInstanceUID: String?

    public init(input: String, relativePath: String, inputSHA256: String, settingsDigest: String, status: Status) {
        self.input = input; self.relativePath = relativePath; self.inputSHA256 = inputSHA256
        self.settingsDigest = settingsDigest; self.status = status
    }
}

extension ImageRecord {
    /// Now, to the whole second (what DICOM's DT values and the record keep); `SOURCE_DATE_EPOCH` (seconds
    /// since 1970, the reproducible-builds convention) fixes it, so two runs into different folders can
    /// write the same bytes.
    public static func now(environment: [String: String] = ProcessInfo.processInfo.environment) -> Date {
        if let epoch = environment["SOURCE_DATE_EPOCH"].flatMap({ TimeInterval($0) }) { return Date(timeIntervalSince1970: epoch) }
        return Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }
}
