import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

/// Inputs the fuzzers found (fuzz/run.sh), replayed the way their harness feeds the bridge.
struct FuzzRegressionTests {
    static let folder = TestPaths.packageRoot.appendingPathComponent("Tests/DICOMOutputTests/Regressions")

    /// fuzz_tagwriter: "path\nvalue\n[dataset]". The first finding: an item index of 32 sevens made DCMTK
    /// create items until memory ran out; the bridge now refuses indices over 10 000.
    @Test("tag-writer findings: huge item indices are refused, not allocated")
    func tagWriter() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasPrefix("tagwriter-") }
        #expect(!files.isEmpty)
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
            let parts = bytes.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: false)
            let path = String(decoding: parts[0], as: UTF8.self), value = String(decoding: parts[1], as: UTF8.self)
            let ds = DICOMFile.empty(name: name)
            do {
                try ds.put(path, value)
                Issue.record("\(name): \(path) was accepted")
            } catch {
                #expect(error.description.contains("item index out of range"), "\(error)")
            }
        }
        // Ordinary indices still work, up to the limit.
        let ds = DICOMFile.empty(name: "ok")
        try ds.put("ViewCodeSequence[2].CodeValue", "272479007")
        #expect(ds.sequenceCount("ViewCodeSequence") == 3)
        #expect(throws: DICOMWriteError.self) { try ds.put("ViewCodeSequence[10001].CodeValue", "x") }
    }
}
