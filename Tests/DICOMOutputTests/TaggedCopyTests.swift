import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct TaggedCopyTests {
    let dir = TestPaths.temporaryDirectory("tagged")

    @Test("a tagged copy of a lossless-compressed file keeps transfer syntax and pixel bytes", arguments: ["JPLL", "J2KR"])
    func keepsPixelData(encoding: String) throws {
        let source = TestPaths.dicom("nonchest_CR_RG2_\(encoding).dcm")
        let digestBefore = try Digest.sha256Hex(ofFileAt: source)
        let out = dir.appendingPathComponent("\(encoding).dcm").path
        let change = try TaggedCopy.write(source: source, destination: out, view: .pa, overwrite: false)
        #expect(change.modified && change.previousViewPosition == nil)

        let copy = try DICOMFile(path: out)
        #expect(try copy.transferSyntaxUID == DICOMFile(path: source).transferSyntaxUID)
        #expect(copy.text("ViewPosition") == "PA")
        #expect(copy.text("ViewCodeSequence[0].CodeValue") == "272479007")
        #expect(copy.text("ViewCodeSequence[0].CodingSchemeDesignator") == "SCT")
        #expect(copy.text("ViewCodeSequence[0].CodeMeaning") == "postero-anterior")
        let tail = try DICOMChecks.pixelDataTail(out)
        #expect(!tail.isEmpty)
        #expect(tail == (try DICOMChecks.pixelDataTail(source)), "pixel data bytes changed")
        #expect(try Digest.sha256Hex(ofFileAt: source) == digestBefore, "the source was modified")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") })

        if let verdict = try DICOMChecks.dciodvfy(out) {
            #expect(verdict.errors.isEmpty, "\(verdict.errors)")
        } else if Tool.required { Issue.record("dciodvfy missing") }
        // The copy is the same instance with a corrected header (same SOP Instance UID, PS3.3 C.12.1.1.9):
        // dcentvfy may only object to that duplicate, never to patient or study inconsistencies.
        if let entities = try DICOMChecks.dcentvfy([source, out]) {
            let errors = entities.output.split(separator: "\n").filter { $0.hasPrefix("Error") }
            #expect(errors.allSatisfy { $0.contains("Duplicate SOPInstanceUID") }, "\(entities.output)")
        } else if Tool.required { Issue.record("dcentvfy missing") }
    }

    @Test("a different existing view is not overwritten unless asked; then the old value is kept")
    func overwritePolicy() throws {
        let source = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let file = try DICOMFile(path: source)
        #expect(throws: DICOMWriteError.viewConflict(file: source, existing: "PA", proposed: "LL")) {
            try TaggedCopy.apply(view: .leftLateral, to: file, overwrite: false)
        }
        let change = try TaggedCopy.apply(view: .leftLateral, to: file, overwrite: true,
                                          modificationTime: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(change.previousViewPosition == "PA")
        let out = dir.appendingPathComponent("ll.dcm").path
        try file.save(to: out, keepTransferSyntax: true)
        let copy = try DICOMFile(path: out)
        #expect(copy.text("ViewPosition") == "LL")
        #expect(copy.text("ViewCodeSequence[0].CodeValue") == "399173006")
        let item = "OriginalAttributesSequence[0]"
        #expect(copy.text("\(item).ModifiedAttributesSequence[0].ViewPosition") == "PA")
        #expect(copy.text("\(item).ReasonForTheAttributeModification") == "CORRECT")
        #expect(copy.text("\(item).ModifyingSystem") == "CXRExplain")
        #expect(copy.text("\(item).AttributeModificationDateTime") == "20231114221320")
        // This 1995 source breaks VR rules itself; the copy may add no error of its own.
        if let verdict = try DICOMChecks.dciodvfy(out), let original = try DICOMChecks.dciodvfy(source) {
            let added = Set(verdict.errors).subtracting(original.errors)
            #expect(added.isEmpty, "\(added)")
        } else if Tool.required { Issue.record("dciodvfy missing") }
    }

    @Test("the same view again changes nothing")
    func sameView() throws {
        let file = try DICOMFile(path: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"))
        try TaggedCopy.apply(view: .pa, to: file, overwrite: false)
        let again = try TaggedCopy.apply(view: .pa, to: file, overwrite: false)
        #expect(!again.modified)
        #expect(file.sequenceCount("OriginalAttributesSequence") == 0)
    }
}
