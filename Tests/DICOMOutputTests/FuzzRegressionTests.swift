import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

/// Inputs the fuzzers found (fuzz/run.sh), replayed the way their harness feeds the bridge.
struct FuzzRegressionTests {
    static let folder = TestPaths.packageRoot.appendingPathComponent("Tests/DICOMOutputTests/Regressions")

    /// fuzz_tagwriter: "path\nvalue\n[dataset]", each finding with what the bridge now answers.
    /// 292b1fb5: an item index of 32 sevens made DCMTK create items until memory ran out; indices over
    /// 10 000 are refused. 3128059c: 73 bytes whose first element declares a 4.28 GB value, which DCMTK
    /// allocated before reading when parsing from memory; declared lengths are checked against the data first.
    static let expectedTagWriterErrors = [
        "tagwriter-oom-292b1fb5": (path: "item index out of range", dataset: "empty input"),
        "tagwriter-oom-3128059c": (path: "unknown attribute keyword", dataset: "a declared length exceeds the data"),
    ]

    @Test("tag-writer findings: each input is refused with its reason, nothing is allocated for it")
    func tagWriter() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasPrefix("tagwriter-") }
        #expect(Set(files) == Set(Self.expectedTagWriterErrors.keys), "every committed finding has an expectation")
        for name in files {
            let expected = try #require(Self.expectedTagWriterErrors[name])
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
            let parts = bytes.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: false)
            let path = String(decoding: parts[0], as: UTF8.self), value = String(decoding: parts[1], as: UTF8.self)
            var ds = DICOMFile.empty(name: name)
            if parts.count > 2 {  // the harness falls back to an empty dataset when this one is refused
                do {
                    ds = try DICOMFile(bytes: Array(parts[2]), name: name)
                    Issue.record("\(name): the dataset was accepted")
                } catch {
                    #expect(error.description.contains(expected.dataset), "\(error)")
                }
            }
            do {
                try ds.put(path, value)
                Issue.record("\(name): \(path) was accepted")
            } catch {
                #expect(error.description.contains(expected.path), "\(error)")
            }
        }
        // Ordinary indices still work, up to the limit.
        let ds = DICOMFile.empty(name: "ok")
        try ds.put("ViewCodeSequence[2].CodeValue", "272479007")
        #expect(ds.sequenceCount("ViewCodeSequence") == 3)
        #expect(throws: DICOMWriteError.self) { try ds.put("ViewCodeSequence[10001].CodeValue", "x") }
    }

    /// fuzz_dicom a4b4809b: 421 bytes whose meta header's Transfer Syntax UID has no VR ("U" and 0xFF), which
    /// DCMTK reads as implicit VR with a 4-byte length of 4.29 GB and allocated, parsing from memory, before
    /// reading it (4.1 GB). The meta group's declared lengths are now checked, read as DCMTK reads them.
    @Test("a meta element without a VR declaring 4 GB is refused before DCMTK allocates it, from memory and from a file")
    func metaElementWithoutVR() throws {
        let name = "dicom-oom-a4b4809b"
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        let reason = "truncated: the data ends inside an attribute (declared length exceeds the data)"
        #expect(throws: ImageReadError.truncated(file: name, reason: reason)) { try DICOMFile(bytes: bytes, name: name) }
        let path = Self.folder.appendingPathComponent(name).path
        #expect(throws: ImageReadError.truncated(file: path, reason: "truncated: the file ends inside an attribute (declared length exceeds the data)")) {
            try RadiographLoader.load(path: path)
        }
    }

    /// fuzz_dicom 9003a57f: Procedure Code Sequence's tag holding an LO value; reading a path through it made
    /// DCMTK's path processor take the LO for a sequence and crash. The path is now refused by name.
    @Test("a sequence's tag with another VR: reading or writing a path through it is refused, not a crash")
    func sequenceTagWithAnotherVR() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("dicom-sequence-vr-9003a57f")))
        let ds = try DICOMFile(bytes: bytes, name: "dicom-sequence-vr-9003a57f")
        #expect(ds.text("ProcedureCodeSequence[0].CodeMeaning") == nil)
        #expect(ds.sequenceCount("ProcedureCodeSequence") == 0)
        #expect(ds.text("SOPClassUID") == "1.2.840.10008.5.1.4.1.1.7", "the rest of the dataset reads")
        do {
            try ds.put("ProcedureCodeSequence[0].CodeMeaning", "x")
            Issue.record("a path through an LO was written")
        } catch {
            #expect(error.description.contains("(0008,1032) is not a sequence (VR LO)"), "\(error)")
        }
        // The same path through a real sequence still works.
        let ok = DICOMFile.empty(name: "ok")
        try ok.put("ProcedureCodeSequence[0].CodeMeaning", "XR CHEST PA")
        #expect(ok.text("ProcedureCodeSequence[0].CodeMeaning") == "XR CHEST PA")
    }
}
