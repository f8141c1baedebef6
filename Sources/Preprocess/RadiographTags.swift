/// The attributes later stages need. Empty for PNG and JPEG inputs, which carry no tags.
public struct RadiographTags: Sendable, Equatable, Codable {
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?
    public var sopClassUID: String?
    public var patientID: String?
    public var patientName: String?
    public var patientBirthDate: String?
    public var modality: String?
    public var bodyPartExamined: String?
    public var viewPosition: String?
    /// View Code Sequence's first code (DX), value and meaning.
    public var viewCodeValue: String?
    public var viewCodeMeaning: String?
    /// The free-text descriptions that may name the projection (Series Description, Protocol Name, …), by
    /// tag path, non-empty ones only (`descriptionAttributes`).
    public var descriptions: [String: String]?
    /// Patient Orientation (0020,0020) as read, both values (`L\F`); nil when absent or empty.
    public var patientOrientation: String?
    /// Distance Source to Detector (0018,1110) in millimetres, as recorded; nil when absent or not a number.
    public var sourceToDetectorDistance: Double?
    public var photometricInterpretation: String?
    public var bitsStored: Int?
    public var rows: Int?
    public var columns: Int?
    /// A pixel's height over its width when the pixels are not square (Pixel Aspect Ratio, else the ratio of
    /// Pixel Spacing's or Imager Pixel Spacing's two values); nil for square pixels or none said.
    public var pixelAspect: Double?

    public init() {}

    /// The view the header records: ViewPosition, else View Code Sequence (a DX may carry only the code): its
    /// view's ViewPosition term for a known code, else the code's meaning (which then reads as not understood).
    public var headerView: String? {
        if let v = viewPosition?.trimmingCharacters(in: .whitespaces), !v.isEmpty { return v }
        guard let code = viewCodeValue else { return nil }
        return RadiographView(code: code)?.viewPosition ?? viewCodeMeaning ?? code
    }

    /// Where a radiographer's or an order's words may name the projection, by tag path, with the name shown: the
    /// acquisition's own first (chosen at the modality), then the order's (from the RIS).
    public static let descriptionAttributes: [(path: String, name: String)] = [
        ("SeriesDescription", "Series Description"), ("ProtocolName", "Protocol Name"),
        ("AcquisitionDeviceProcessingDescription", "Acquisition Device Processing Description"), ("ImageComments", "Image Comments"),
        ("PerformedProtocolCodeSequence[0].CodeMeaning", "Performed Protocol Code"),
        // DX Positioning: the patient's posture as a code (supine, erect, …).
        ("PatientOrientationCodeSequence[0].PatientOrientationModifierCodeSequence[0].CodeMeaning", "Patient Orientation Modifier Code"),
        ("StudyDescription", "Study Description"), ("RequestedProcedureDescription", "Requested Procedure Description"),
        ("PerformedProcedureStepDescription", "Performed Procedure Step Description"),
        ("ProcedureCodeSequence[0].CodeMeaning", "Procedure Code"),
        ("RequestAttributesSequence[0].ScheduledProcedureStepDescription", "Scheduled Procedure Step Description"),
    ]

    /// Pixel Aspect Ratio (vertical\horizontal), else Pixel Spacing or Imager Pixel Spacing (row spacing, the
    /// pixel's height, first); nil when square, absent or not two positive numbers, and outside 1/4…4 (a value
    /// no radiograph has: sooner a broken header than a film to stretch fourfold).
    static func pixelAspect(of file: DICOMFile) -> Double? {
        for keyword in ["PixelAspectRatio", "PixelSpacing", "ImagerPixelSpacing"] {
            guard let vertical = file.number(keyword, index: 0), let horizontal = file.number(keyword, index: 1) else { continue }
            guard vertical > 0, horizontal > 0, vertical.isFinite, horizontal.isFinite else { return nil }
            let aspect = vertical / horizontal
            return abs(aspect - 1) < 1e-3 || !(0.25...4).contains(aspect) ? nil : aspect
        }
        return nil
    }

    static func read(from file: DICOMFile) -> RadiographTags {
        var t = RadiographTags()
        t.studyInstanceUID = file.text("StudyInstanceUID")
        t.seriesInstanceUID = file.text("SeriesInstanceUID")
        t.sopInstanceUID = file.text("SOPInstanceUID")
        t.sopClassUID = file.text("SOPClassUID")
        t.patientID = file.text("PatientID")
        t.patientName = file.text("PatientName")
        t.patientBirthDate = file.text("PatientBirthDate")
        t.modality = file.text("Modality")
        t.bodyPartExamined = file.text("BodyPartExamined")
        t.viewPosition = file.text("ViewPosition")
        t.viewCodeValue = file.text("ViewCodeSequence[0].CodeValue")
        t.viewCodeMeaning = file.text("ViewCodeSequence[0].CodeMeaning")
        let descriptions = Self.descriptionAttributes.compactMap { attribute in
            file.text(attribute.path).map { (attribute.path, $0.trimmingCharacters(in: .whitespaces)) }
        }.filter { !$0.1.isEmpty }
        t.descriptions = descriptions.isEmpty ? nil : Dictionary(uniqueKeysWithValues: descriptions)
        t.patientOrientation = file.text("PatientOrientation")
        t.sourceToDetectorDistance = file.number("DistanceSourceToDetector")
        t.photometricInterpretation = file.text("PhotometricInterpretation")
        t.bitsStored = file.number("BitsStored").map { Int($0) }
        t.rows = file.number("Rows").map { Int($0) }
        t.columns = file.number("Columns").map { Int($0) }
        t.pixelAspect = pixelAspect(of: file)
        return t
    }
}
