import Foundation
import Preprocess

/// Sets ViewPosition and View Code Sequence on a loaded source, keeping the replaced values in
/// Original Attributes Sequence (PS3.3 C.12.1.1.9). Pixel data and transfer syntax are untouched.
public enum TaggedCopy {
    /// What changed in the header.
    public struct Change: Sendable, Equatable {
        public var previousViewPosition: String?
        public var newViewPosition: String
        /// False when the header already held the same view and code.
        public var modified: Bool
    }

    /// Applies the view to `file` in memory. Throws `.viewConflict` when the header holds a different
    /// ViewPosition and `overwrite` is false.
    @discardableResult
    public static func apply(view: RadiographView, to file: DICOMFile, overwrite: Bool,
                             modificationTime: Date = Date()) throws(DICOMWriteError) -> Change {
        let existing = file.text("ViewPosition")
        let existingCode = file.text("ViewCodeSequence[0].CodeValue")
        if existing == view.viewPosition && existingCode == view.codeValue {
            return Change(previousViewPosition: existing, newViewPosition: view.viewPosition, modified: false)
        }
        if let existing, existing != view.viewPosition, !overwrite {
            throw .viewConflict(file: file.path, existing: existing, proposed: view.viewPosition)
        }
        let replacesView = existing != nil && existing != view.viewPosition
        let replacesCode = existingCode != nil && existingCode != view.codeValue
        if replacesView || replacesCode {
            let item = "OriginalAttributesSequence[\(file.sequenceCount("OriginalAttributesSequence"))]"
            let modified = "\(item).ModifiedAttributesSequence[0]"
            try file.putEmpty(modified)
            try file.copy(.viewPosition, from: file, into: modified)
            try file.copy(.viewCodeSequence, from: file, into: modified)
            try file.put("\(item).AttributeModificationDateTime", DICOMDateTime.dateTime(modificationTime))
            try file.put("\(item).ModifyingSystem", Software.name)
            try file.putEmpty("\(item).SourceOfPreviousValues")
            try file.put("\(item).ReasonForTheAttributeModification", "CORRECT")
        }
        try file.put("ViewPosition", view.viewPosition)
        file.delete("ViewCodeSequence")
        try file.put("ViewCodeSequence[0].CodeValue", view.codeValue)
        try file.put("ViewCodeSequence[0].CodingSchemeDesignator", "SCT")
        try file.put("ViewCodeSequence[0].CodeMeaning", view.codeMeaning)
        try file.putEmpty("ViewCodeSequence[0].ViewModifierCodeSequence")
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
    public static let version = "0.2.0"
}

/// DICOM DT strings, in UTC (DCMTK 3.6.7 rejects an explicit "+0000" offset).
/// DICOM DA/TM/DT strings in UTC.
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
