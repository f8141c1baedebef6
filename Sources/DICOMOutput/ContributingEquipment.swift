import Preprocess

/// Contributing Equipment Sequence (PS3.3 C.12.1.1.5) on every object we derive or modify, so a reader can
/// tell that an algorithm took part, and which version.
public struct ContributingEquipment: Sendable {
    /// (109102, DCM, "Processing Equipment") or (109103, DCM, "Modifying Equipment").
    public var purposeCode: String
    public var purposeMeaning: String

    public static let processing = ContributingEquipment(purposeCode: "109102", purposeMeaning: "Processing Equipment")
    public static let modifying = ContributingEquipment(purposeCode: "109103", purposeMeaning: "Modifying Equipment")

    /// Appends one item (an existing sequence, e.g. the modality's, is kept).
    public func write(to ds: DICOMFile) throws(DICOMWriteError) {
        let item = "ContributingEquipmentSequence[\(ds.sequenceCount("ContributingEquipmentSequence"))]"
        try ds.put("\(item).PurposeOfReferenceCodeSequence[0].CodeValue", purposeCode)
        try ds.put("\(item).PurposeOfReferenceCodeSequence[0].CodingSchemeDesignator", "DCM")
        try ds.put("\(item).PurposeOfReferenceCodeSequence[0].CodeMeaning", purposeMeaning)
        try ds.put("\(item).Manufacturer", Software.name)
        try ds.put("\(item).ManufacturerModelName", "cxr-explain")
        try ds.put("\(item).SoftwareVersions", Software.version)
    }
}
