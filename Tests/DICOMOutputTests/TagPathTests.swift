import DICOMOutput
import Foundation
import Preprocess
import Testing

/// Tag paths name attributes by DICOM keyword (DCMTK's dictionary, read once into a table) or by tag.
struct TagPathTests {
    @Test("keywords and numeric tags name the same attribute")
    func keywordsResolveToTags() throws {
        let ds = DICOMFile.empty(name: "paths")
        try ds.put("PatientName", "Doe^Jane")
        #expect(ds.string("(0010,0010)") == "Doe^Jane")
        try ds.put("(0008,0060)", "CR")
        #expect(ds.string("Modality") == "CR")
        // Nested: sequence keyword, item index, keyword inside the item.
        try ds.put("ViewCodeSequence[0].CodeMeaning", "postero-anterior")
        #expect(ds.string("(0054,0220)[0].(0008,0104)") == "postero-anterior")
        // A repeating-group keyword (overlay rows, 60xx) maps to its first group.
        try ds.put("OverlayRows", "4")
        #expect(ds.number("(6000,0010)") == 4)
    }

    @Test("an unknown keyword is refused with its path and the reason", arguments: ["PatientNam", "ViewCodeSequence[0].CodeValu", "Nope.PatientName"])
    func unknownKeyword(path: String) {
        let ds = DICOMFile.empty(name: "paths")
        do {
            try ds.put(path, "x")
            Issue.record("\(path) was accepted")
        } catch {
            #expect(error.description.contains("\(path): unknown attribute keyword"), "\(error)")
        }
        ds.delete(path)  // deleting an unknown path is a no-op, not a crash
        #expect(ds.string(path) == nil)
    }
}
