import Preprocess

/// `--anonymize` for what we write (PS3.15 Annex E, Basic Application Level Confidentiality Profile, applied
/// to the attributes we copy from a source): identifying patient and study attributes emptied (type 2) or
/// removed (type 3); the source's study, series and instance UIDs replaced wherever an object refers to them,
/// by `2.25.` UIDs derived one-way from them, so the objects of one study stay together; Patient Identity
/// Removed YES with the method coded. Pixels are not inspected: text burned into the source image stays.
public enum Anonymizer {
    /// (keyword, keep as empty?) — type 2 attributes are emptied, type 3 removed.
    static let attributes: [(String, Bool)] = [
        ("PatientName", true), ("PatientID", true), ("PatientBirthDate", true), ("PatientSex", true),
        ("IssuerOfPatientID", false), ("OtherPatientIDsSequence", false), ("PatientAge", false), ("PatientSize", false),
        ("PatientWeight", false), ("ReferringPhysicianName", true), ("StudyID", true), ("AccessionNumber", true),
        ("IssuerOfAccessionNumberSequence", false), ("StudyDescription", false), ("StudyDate", true), ("StudyTime", true),
        ("ContentDate", false), ("ContentTime", false),
    ]

    /// The replacement of a source UID.
    public static func replacement(for uid: String) -> String { DICOMUID.uid(forName: "cxr-explain anonymized|\(uid)") }

    /// Anonymizes `file` (a derived object we built) whose source had `sourceUIDs` (study, series, instance).
    public static func apply(to file: DICOMFile, sourceUIDs: Set<String>) throws(DICOMWriteError) {
        // An SR's or Parametric Map's Content Date/Time are ours (when the tool acted), not the patient's: kept.
        let ownContentTime = [ViewReport.sopClassUID, ParametricMap.sopClassUID].contains(file.text("SOPClassUID") ?? "")
        for (keyword, keepEmpty) in attributes where !(ownContentTime && (keyword == "ContentDate" || keyword == "ContentTime")) {
            let present = file.string(keyword) != nil || file.sequenceCount(keyword) > 0
            file.delete(keyword)
            if keepEmpty && (present || ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                                          "ReferringPhysicianName", "StudyID", "AccessionNumber"].contains(keyword)) {
                try file.putEmpty(keyword)
            }
        }
        // Every reference to the source (evidence, source image, SR content at any depth) gets the replacement.
        for uid in sourceUIDs { file.replaceUID(uid, with: replacement(for: uid)) }
        try file.put("PatientIdentityRemoved", "YES")
        try file.put("DeidentificationMethod", "PS3.15 Basic Profile, copied attributes (\(Software.name))")
        try file.put("DeidentificationMethodCodeSequence[0].CodeValue", "113100")
        try file.put("DeidentificationMethodCodeSequence[0].CodingSchemeDesignator", "DCM")
        try file.put("DeidentificationMethodCodeSequence[0].CodeMeaning", "Basic Application Confidentiality Profile")
    }
}
