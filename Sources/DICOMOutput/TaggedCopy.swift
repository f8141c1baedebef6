import Foundation
import Preprocess

/// Puts an inferred view into a source's header where its IOD defines it, recording the insertion or
/// replacement in Original Attributes Sequence (PS3.3 C.12.1.1.9) so that a view this tool inferred can be
/// told from one the modality set. Pixel data and transfer syntax are untouched.
///
/// - CR Image (CR Series module, C.8.1.1): ViewPosition only; the CR IOD has no View Code Sequence.
/// - DX Image, for presentation or processing (DX Positioning module, C.8.11.5): ViewPosition and View Code
///   Sequence (SNOMED CT, CID 4010), without a View Modifier Code Sequence (nothing modifies the view), and an
///   empty Positioner Type (type 2) when the module had none.
/// - Any other object (Secondary Capture, …): nothing; the view goes into the SR and the report.
public enum TaggedCopy {
    /// Where the view may go for an object's SOP Class.
    public enum Placement: Sendable, Equatable {
        case viewPosition
        case viewPositionAndCode
        case none

        public init(sopClassUID: String?) {
            switch sopClassUID?.trimmingCharacters(in: .whitespaces) {
            case "1.2.840.10008.5.1.4.1.1.1": self = .viewPosition
            case "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1.1": self = .viewPositionAndCode
            default: self = .none
            }
        }
    }

    /// What changed in the header.
    public struct Change: Sendable, Equatable {
        public var previousViewPosition: String?
        public var newViewPosition: String
        /// False when the header already held the same view (and code, where it has one).
        public var modified: Bool
    }

    /// Applies the view to `file` in memory. Throws `.viewConflict` when the header holds a different
    /// ViewPosition and `overwrite` is false, and `.invalid` when the object's IOD has no place for a view.
    @discardableResult
    public static func apply(view: RadiographView, to file: DICOMFile, overwrite: Bool, modifyingSystem: String = Software.name,
                             modificationTime: Date = Date()) throws(DICOMWriteError) -> Change {
        let placement = Placement(sopClassUID: file.text("SOPClassUID"))
        guard placement != .none, view.isWritable, let code = view.codeValue, let meaning = view.codeMeaning else {
            throw .invalid(file: file.path, reason: "the object's IOD defines no view attributes (SOP Class \(file.text("SOPClassUID") ?? "none"))")
        }
        let withCode = placement == .viewPositionAndCode
        let existing = file.text("ViewPosition")
        let existingCode = file.text("ViewCodeSequence[0].CodeValue")
        if existing == view.viewPosition && (!withCode || existingCode == code) {
            return Change(previousViewPosition: existing, newViewPosition: view.viewPosition, modified: false)
        }
        if let existing, existing != view.viewPosition, !overwrite {
            throw .viewConflict(file: file.path, existing: existing, proposed: view.viewPosition)
        }
        // A code the modality recorded for another view (or one this code does not know) is a view too.
        if withCode, let existingCode, RadiographView(code: existingCode)?.viewPosition != view.viewPosition, !overwrite {
            throw .viewConflict(file: file.path, existing: "View Code Sequence \(existingCode)", proposed: view.viewPosition)
        }
        // Every insertion or replacement is recorded; an attribute that was absent is kept with no value.
        let item = "OriginalAttributesSequence[\(file.sequenceCount("OriginalAttributesSequence"))]"
        let modified = "\(item).ModifiedAttributesSequence[0]"
        try file.putEmpty(modified)
        if !(try file.copy(.viewPosition, from: file, into: modified)) { try file.putEmpty("\(modified).ViewPosition") }
        if withCode, !(try file.copy(.viewCodeSequence, from: file, into: modified)) { try file.putEmpty("\(modified).ViewCodeSequence") }
        // The DX Positioning module, once present, needs Positioner Type (type 2): empty when the modality gave none.
        let addsPositionerType = withCode && file.string("PositionerType") == nil
        if addsPositionerType { try file.putEmpty("\(modified).PositionerType") }
        try file.put("\(item).AttributeModificationDateTime", DICOMDateTime.dateTime(modificationTime))
        try file.put("\(item).ModifyingSystem", modifyingSystem)
        try file.putEmpty("\(item).SourceOfPreviousValues")
        try file.put("\(item).ReasonForTheAttributeModification", "CORRECT")
        try file.put("ViewPosition", view.viewPosition)
        if addsPositionerType { try file.putEmpty("PositionerType") }
        if withCode {
            file.delete("ViewCodeSequence")
            try file.put("ViewCodeSequence[0].CodeValue", code)
            try file.put("ViewCodeSequence[0].CodingSchemeDesignator", "SCT")
            try file.put("ViewCodeSequence[0].CodeMeaning", meaning)
        }
        return Change(previousViewPosition: existing, newViewPosition: view.viewPosition, modified: true)
    }

    /// Loads `source`, applies the view and writes `destination` (temporary file, then rename).
    @discardableResult
    public static func write(source: String, destination: String, view: RadiographView, overwrite: Bool,
                             modificationTime: Date = Date()) throws -> Change {
        let file = try DICOMFile(path: source)
        let change = try apply(view: view, to: file, overwrite: overwrite, modificationTime: modificationTime)
        try file.save(to: destination, keepTransferSyntax: true)
        return change
    }
}

/// The software that writes our objects.
public enum Software {
    public static let name = "CXRExplain"
    public static let version = "0.4.17"
    /// The meta header's writer identity: `2.25.` + uuid5(NAMESPACE_OID, "CXRExplain implementation class").
    public static let implementationClassUID = "2.25.186586493288399124360583939538916151549"
    /// At most 16 characters (SH).
    public static var implementationVersionName: String { "CXREXPLAIN_" + version.replacingOccurrences(of: ".", with: "") }
}

/// DICOM DA/TM/DT strings in UTC (DCMTK 3.6.7 rejects an explicit "+0000" offset).
enum DICOMDateTime {
    static func format(_ date: Date, _ pattern: String) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = pattern
        return f.string(from: date)
    }
    static func dateTime(_ date: Date) -> String { format(date, "yyyyMMddHHmmss") }
    static func date(_ date: Date) -> String { format(date, "yyyyMMdd") }
    static func time(_ date: Date) -> String { format(date, "HHmmss") }
}
