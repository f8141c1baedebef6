/// What an object written for an image is. Encoded in records and results.json as the words the report shows
/// ("SR", "gradcam gray SC", "lime Parametric Map", …), so files of earlier runs read back unchanged.
public enum OutputKind: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The source DICOM with the view written into its header, as a copy or in place.
    case taggedCopy
    case taggedInPlace
    /// A PNG or JPEG input converted to a DICOM Secondary Capture.
    case converted
    /// The TID 1500 Imaging Measurement Report.
    case report
    case graySecondaryCapture(method: String)
    case rgbSecondaryCapture(method: String)
    case parametricMap(method: String)
    case presentationState(method: String)

    public var description: String {
        switch self {
        case .taggedCopy: return "tagged copy"
        case .taggedInPlace: return "tagged input (in place)"
        case .converted: return "converted"
        case .report: return "SR"
        case .graySecondaryCapture(let m): return "\(m) gray SC"
        case .rgbSecondaryCapture(let m): return "\(m) rgb SC"
        case .parametricMap(let m): return "\(m) Parametric Map"
        case .presentationState(let m): return "\(m) presentation state"
        }
    }

    /// Whether a PACS should receive it: everything new; not the tagged source, whose SOP Instance UID the PACS
    /// already holds (it would refuse it or silently replace its own).
    public var isSentToPACS: Bool {
        switch self {
        case .taggedCopy, .taggedInPlace: return false
        default: return true
        }
    }

    public init(parsing text: String) {
        let fixed: [OutputKind] = [.taggedCopy, .taggedInPlace, .converted, .report]
        if let kind = fixed.first(where: { $0.description == text }) { self = kind; return }
        for (suffix, make) in [(" gray SC", OutputKind.graySecondaryCapture), (" rgb SC", OutputKind.rgbSecondaryCapture),
                               (" Parametric Map", OutputKind.parametricMap), (" presentation state", OutputKind.presentationState)]
        where text.hasSuffix(suffix) {
            self = make(String(text.dropLast(suffix.count))); return
        }
        self = .taggedCopy  // an unknown word is never sent
    }

    public init(from decoder: Decoder) throws { self.init(parsing: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
