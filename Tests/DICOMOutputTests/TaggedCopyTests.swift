import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct TaggedCopyTests {
    let dir = TestPaths.temporaryDirectory("tagged")

    @Test("placement follows the SOP Class: CR ViewPosition, DX ViewPosition and code, others nothing")
    func placementTable() {
        #expect(TaggedCopy.Placement(sopClassUID: "1.2.840.10008.5.1.4.1.1.1") == .viewPosition)
        #expect(TaggedCopy.Placement(sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1") == .viewPositionAndCode)
        #expect(TaggedCopy.Placement(sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1.1") == .viewPositionAndCode)
        for other in ["1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.1.2", nil] {
            #expect(TaggedCopy.Placement(sopClassUID: other) == TaggedCopy.Placement.none)
        }
    }

    @Test("a CR copy of a lossless-compressed file gets ViewPosition only; transfer syntax and pixel bytes kept", arguments: ["JPLL", "J2KR"])
    func keepsPixelData(encoding: String) throws {
        let source = TestPaths.dicom("nonchest_CR_RG2_\(encoding).dcm")
        let digestBefore = try Digest.sha256Hex(ofFileAt: source)
        let out = dir.appendingPathComponent("\(encoding).dcm").path
        let change = try TaggedCopy.write(source: source, destination: out, view: .pa, overwrite: false,
                                          modificationTime: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(change.modified && change.previousViewPosition == nil)

        let copy = try DICOMFile(path: out)
        #expect(try copy.transferSyntaxUID == DICOMFile(path: source).transferSyntaxUID)
        #expect(copy.text("ViewPosition") == "PA")
        #expect(copy.sequenceCount("ViewCodeSequence") == 0, "the CR IOD has no View Code Sequence")
        // The insertion is recorded: the attribute was absent, so it is kept with no value.
        let item = "OriginalAttributesSequence[0]"
        #expect(copy.sequenceCount("OriginalAttributesSequence") == 1)
        #expect(copy.string("\(item).ModifiedAttributesSequence[0].ViewPosition") == "")
        #expect(copy.text("\(item).ReasonForTheAttributeModification") == "CORRECT")
        #expect(copy.text("\(item).AttributeModificationDateTime") == "20231114221320")
        let tail = try DICOMChecks.pixelDataTail(out)
        #expect(!tail.isEmpty)
        #expect(tail == (try DICOMChecks.pixelDataTail(source)), "pixel data bytes changed")
        #expect(try Digest.sha256Hex(ofFileAt: source) == digestBefore, "the source was modified")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") })

        // The copy is the same instance with a corrected header (same SOP Instance UID, PS3.3 C.12.1.1.9):
        // dcentvfy may only object to that duplicate, never to patient or study inconsistencies.
        if let entities = try DICOMChecks.dcentvfy([source, out]) {
            let errors = entities.output.split(separator: "\n").filter { $0.hasPrefix("Error") }
            #expect(errors.allSatisfy { $0.contains("Duplicate SOPInstanceUID") }, "\(entities.output)")
        } else if Tool.required { Issue.record("dcentvfy missing") }
    }

    /// Every readable DICOM of the shared set, made into a CR and a DX (SOP Class and Modality set):
    /// the tagged copy adds no dciodvfy error and no "not present in standard" warning to its source's own.
    @Test("tagged copies add no dciodvfy finding to their source's, for CR and DX, over every shared DICOM")
    func noNewFindings() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestPaths.dicomData.path).filter { $0.hasSuffix(".dcm") }.sorted()
        #expect(files.count >= 10)
        for name in files {
            for asDX in [false, true] {
                let original = try DICOMFile(path: TestPaths.dicom(name))
                let kind = asDX ? ("1.2.840.10008.5.1.4.1.1.1.1", "DX") : ("1.2.840.10008.5.1.4.1.1.1", "CR")
                let source: String
                if original.text("SOPClassUID") == kind.0 && original.text("Modality") == kind.1 {
                    source = TestPaths.dicom(name)
                } else {
                    try original.put("SOPClassUID", kind.0)
                    try original.put("Modality", kind.1)
                    source = dir.appendingPathComponent("\(kind.1)-\(name)").path
                    try original.save(to: source, keepTransferSyntax: true)
                }
                let out = dir.appendingPathComponent("tagged-\(asDX ? "dx" : "cr")-\(name)").path
                let file = try DICOMFile(path: source)
                let view = file.text("ViewPosition") == nil ? RadiographView.ap : RadiographView.leftLateral
                try TaggedCopy.apply(view: view, to: file, overwrite: true)
                try file.save(to: out, keepTransferSyntax: true)
                let copy = try DICOMFile(path: out)
                #expect(copy.text("ViewPosition") == view.viewPosition)
                #expect(copy.text("ViewCodeSequence[0].CodeValue") == (asDX ? view.codeValue : nil), "\(name)")
                #expect(copy.sequenceCount("ViewCodeSequence[0].ViewModifierCodeSequence") == 0)
                guard let before = try DICOMChecks.dciodvfyFindings(source), let after = try DICOMChecks.dciodvfyFindings(out) else {
                    if Tool.required { Issue.record("dciodvfy missing") }
                    return
                }
                let added = after.subtracting(before)
                #expect(added.isEmpty, "\(name) as \(asDX ? "DX" : "CR"): \(added)")
            }
        }
    }

    @Test("a DX copy gets ViewPosition and View Code Sequence (AP: SNOMED CT 399348003), no modifier sequence")
    func dxPlacement() throws {
        let file = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_UNC.dcm"))
        try file.put("SOPClassUID", "1.2.840.10008.5.1.4.1.1.1.1")
        try TaggedCopy.apply(view: .ap, to: file, overwrite: false)
        #expect(file.text("ViewPosition") == "AP")
        #expect(file.text("ViewCodeSequence[0].CodeValue") == "399348003")
        #expect(file.text("ViewCodeSequence[0].CodingSchemeDesignator") == "SCT")
        #expect(file.text("ViewCodeSequence[0].CodeMeaning") == "antero-posterior")
        #expect(file.sequenceCount("ViewCodeSequence[0].ViewModifierCodeSequence") == 0)
        #expect(file.sequenceCount("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewCodeSequence") == 0)
    }

    @Test("a Secondary Capture has no place for a view: refused")
    func secondaryCaptureRefused() throws {
        let file = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_UNC.dcm"))
        try file.put("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7")
        #expect(throws: DICOMWriteError.self) { try TaggedCopy.apply(view: .pa, to: file, overwrite: false) }
        #expect(file.text("ViewPosition") == nil)
    }

    @Test("a different existing view is not overwritten unless asked; then the old value is kept")
    func overwritePolicy() throws {
        let source = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let file = try DICOMFile(path: source)
        #expect(throws: DICOMWriteError.viewConflict(file: source, existing: "PA", proposed: "LL")) {
            try TaggedCopy.apply(view: .leftLateral, to: file, overwrite: false)
        }
        let change = try TaggedCopy.apply(view: .leftLateral, to: file, overwrite: true, modifyingSystem: "CXRExplain test",
                                          modificationTime: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(change.previousViewPosition == "PA")
        let out = dir.appendingPathComponent("ll.dcm").path
        try file.save(to: out, keepTransferSyntax: true)
        let copy = try DICOMFile(path: out)
        #expect(copy.text("ViewPosition") == "LL")
        let item = "OriginalAttributesSequence[0]"
        #expect(copy.text("\(item).ModifiedAttributesSequence[0].ViewPosition") == "PA")
        #expect(copy.text("\(item).ReasonForTheAttributeModification") == "CORRECT")
        #expect(copy.text("\(item).ModifyingSystem") == "CXRExplain test")
        #expect(copy.text("\(item).AttributeModificationDateTime") == "20231114221320")
    }

    @Test("a DX whose View Code Sequence alone names a view: another view is refused unless asked; the same view (SNOMED-RT too) fills ViewPosition")
    func viewCodeAlone() throws {
        func dx(code: String, scheme: String, meaning: String) throws -> DICOMFile {
            let file = try DICOMFile(path: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"))
            try file.put("SOPClassUID", "1.2.840.10008.5.1.4.1.1.1.1")
            try file.put("Modality", "DX")
            file.delete("ViewPosition")
            try file.put("ViewCodeSequence[0].CodeValue", code)
            try file.put("ViewCodeSequence[0].CodingSchemeDesignator", scheme)
            try file.put("ViewCodeSequence[0].CodeMeaning", meaning)
            return file
        }
        let ap = try dx(code: "399348003", scheme: "SCT", meaning: "antero-posterior")
        #expect(throws: DICOMWriteError.viewConflict(file: ap.path, existing: "View Code Sequence 399348003", proposed: "PA")) {
            try TaggedCopy.apply(view: .pa, to: ap, overwrite: false)
        }
        let oblique = try dx(code: "399255004", scheme: "SCT", meaning: "left anterior oblique")  // no view this code knows
        #expect(throws: DICOMWriteError.self) { try TaggedCopy.apply(view: .pa, to: oblique, overwrite: false) }
        try TaggedCopy.apply(view: .pa, to: ap, overwrite: true)
        #expect(ap.text("ViewCodeSequence[0].CodeValue") == "272479007")
        #expect(ap.text("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewCodeSequence[0].CodeValue") == "399348003")
        // SNOMED-RT's PA (as older modalities write it) is the same view: ViewPosition added, the code in SNOMED CT.
        let legacy = try dx(code: "R-10214", scheme: "SRT", meaning: "postero-anterior")
        let change = try TaggedCopy.apply(view: .pa, to: legacy, overwrite: false)
        #expect(change.modified && legacy.text("ViewPosition") == "PA" && legacy.text("ViewCodeSequence[0].CodeValue") == "272479007")
        #expect(legacy.text("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewCodeSequence[0].CodeValue") == "R-10214")
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
