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
    public var photometricInterpretation: String?
    public var bitsStored: Int?
    public var rows: Int?
    public var columns: Int?

    public init() {}

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
        t.photometricInterpretation = file.text("PhotometricInterpretation")
        t.bitsStored = file.number("BitsStored").map { Int($0) }
        t.rows = file.number("Rows").map { Int($0) }
        t.columns = file.number("Columns").map { Int($0) }
        return t
    }
}
