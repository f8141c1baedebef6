import Preprocess

/// The attributes a derived object copies from its source, in one place (DESIGN §7):
/// Patient, General Study and Patient Study modules, character set, body part and orientation.
public enum PatientStudyModules {
    /// (tag, keyword, type). Type 2 attributes are written empty when the source lacks them.
    static let copied: [(DICOMTag, String, Int)] = [
        (DICOMTag(0x0008, 0x0005), "SpecificCharacterSet", 3),
        // Patient
        (DICOMTag(0x0010, 0x0010), "PatientName", 2),
        (DICOMTag(0x0010, 0x0020), "PatientID", 2),
        (DICOMTag(0x0010, 0x0021), "IssuerOfPatientID", 3),
        (DICOMTag(0x0010, 0x0030), "PatientBirthDate", 2),
        (DICOMTag(0x0010, 0x0040), "PatientSex", 2),
        (DICOMTag(0x0010, 0x1002), "OtherPatientIDsSequence", 3),
        // General Study
        (DICOMTag(0x0020, 0x000D), "StudyInstanceUID", 1),
        (DICOMTag(0x0008, 0x0020), "StudyDate", 2),
        (DICOMTag(0x0008, 0x0030), "StudyTime", 2),
        (DICOMTag(0x0008, 0x0090), "ReferringPhysicianName", 2),
        (DICOMTag(0x0020, 0x0010), "StudyID", 2),
        (DICOMTag(0x0008, 0x0050), "AccessionNumber", 2),
        (DICOMTag(0x0008, 0x0051), "IssuerOfAccessionNumberSequence", 3),
        (DICOMTag(0x0008, 0x1030), "StudyDescription", 3),
        // Patient Study
        (DICOMTag(0x0010, 0x1010), "PatientAge", 3),
        (DICOMTag(0x0010, 0x1020), "PatientSize", 3),
        (DICOMTag(0x0010, 0x1030), "PatientWeight", 3),
        // Image-level facts that stay true of a derived image
        (DICOMTag(0x0018, 0x0015), "BodyPartExamined", 3),
        (DICOMTag(0x0020, 0x0020), "PatientOrientation", 2),
    ]

    /// Copies the modules from `source`; fails if the source has no Study Instance UID.
    static func copy(from source: DICOMFile, to target: DICOMFile) throws(DICOMWriteError) {
        guard source.text("StudyInstanceUID") != nil else {
            throw .invalid(file: source.path, reason: "source has no Study Instance UID")
        }
        for (tag, keyword, type) in copied {
            let found = try target.copy(tag, from: source)
            if !found && type == 2 { try target.putEmpty(keyword) }
        }
        // A malformed Patient's Age (AS must be nnnD/W/M/Y; some sources hold "62") is optional: leave it out
        // rather than copy an invalid value into every derived object.
        if let age = target.string("PatientAge"), !isValidAge(age) { target.delete("PatientAge") }
    }

    static func isValidAge(_ s: String) -> Bool {
        let c = Array(s.utf8)
        return c.count == 4 && c[0..<3].allSatisfy { (48...57).contains($0) } && "DWMY".utf8.contains(c[3])
    }
}

/// Patient and study identity for objects that have no DICOM source (PNG/JPEG conversions).
public struct NewStudy: Sendable, Equatable {
    public var studyInstanceUID: String
    public var patientID: String
    public var patientName: String
    public var accessionNumber: String
    public var studyID: String
    public var studyDescription: String?

    public init(studyInstanceUID: String, patientID: String = "", patientName: String = "",
                accessionNumber: String = "", studyID: String = "", studyDescription: String? = nil) {
        self.studyInstanceUID = studyInstanceUID
        self.patientID = patientID
        self.patientName = patientName
        self.accessionNumber = accessionNumber
        self.studyID = studyID
        self.studyDescription = studyDescription
    }

    func write(to target: DICOMFile) throws(DICOMWriteError) {
        try target.put("StudyInstanceUID", studyInstanceUID)
        try target.put("PatientID", patientID)
        try target.put("PatientName", patientName)
        try target.put("AccessionNumber", accessionNumber)
        try target.put("StudyID", studyID)
        for keyword in ["PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "ReferringPhysicianName", "PatientOrientation"] {
            try target.putEmpty(keyword)
        }
        if let studyDescription { try target.put("StudyDescription", studyDescription) }
    }
}
