import DICOMOutput
import Explain
import Preprocess

/// Everything that decides what `process` writes; its digest names the settings in each record, so a
/// rerun with other settings redoes the work instead of skipping it.
public struct ProcessSettings: Sendable {
    public var methods: [ExplanationMethod] = [.gradcam, .lime]
    public var suite = ExplanationSuite()
    public var capture = ExplanationCapture()
    /// nil: the model file's threshold (chosen on its cross-validation).
    public var threshold: Double?
    public var lateralTerm: RadiographView = .leftLateral
    /// Which headers say "chest radiograph" (`--chest-body-part` adds local spellings).
    public var gate = ChestGate()
    /// Read burned-in markers (PORTABLE, SUPINE, PA ERECT, …) on surely frontal films (`ViewDecisionPolicy.applying`).
    public var readMarkers = true
    public var overwriteView = false
    /// Tag the input files themselves (temporary file + atomic rename) instead of writing tagged copies.
    public var inPlace = false
    public var showPHI = false
    /// PS3.15 basic profile on every object written (no tagged copies: they would carry the whole header).
    public var anonymize = false

    public init() {}

    /// What the outputs depend on (not `showPHI`, which only changes the report).
    public func digest(modelSHA256: String) -> String {
        let parts = ["model=\(modelSHA256)", "methods=\(methods.map(\.rawValue).joined(separator: ","))",
                     methods.map { suite.summary($0) }.joined(separator: ";"),
                     "threshold=\(threshold.map { String($0) } ?? "model")", "lateral=\(lateralTerm.viewPosition)",
                     "chest=\(gate.chestBodyParts.sorted().joined(separator: ","))", "markers=\(readMarkers)", "overwrite=\(overwriteView)", "inPlace=\(inPlace)", "anonymize=\(anonymize)",
                     "top=\(capture.topFraction)", "side=\(capture.maxSide)", "colormap=\(capture.colormap.rawValue)",
                     "alpha=\(capture.alpha)", "limeTop=\(capture.limeTopSuperpixels)", "version=\(Software.version)"]
        return Digest.hex(Digest.sha256(Array(parts.joined(separator: "|").utf8)))
    }
}
