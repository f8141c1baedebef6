import Foundation
import Preprocess
import TestSupport
import Testing

/// Identity, time and truthful attributes of what `process` and `convert` write: UIDs named by everything
/// that determines an object's content, the first run's time kept on a rerun, Burned In Annotation and lossy
/// compression carried from the source, our own Implementation Class UID in every meta header.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct ObjectIdentityTests {
    static func meta(_ path: String, _ tag: String) throws -> String? {
        let dcmdump = try #require(Tool.find("dcmdump"), "dcmdump (dcmtk) is needed")
        let r = try Tool.run(dcmdump, ["-q", "+P", tag, path])
        guard let open = r.stdout.firstIndex(of: "["), let close = r.stdout.firstIndex(of: "]") else { return nil }
        return String(r.stdout[r.stdout.index(after: open)..<close])
    }

    @Test("convert: one JPEG with two patient IDs gives two UIDs, the same arguments the same bytes; a JPEG's SC says Lossy Image Compression 01")
    func convertIdentity() throws {
        let dir = TestPaths.temporaryDirectory("identity-convert")
        let jpeg = TestPaths.viewData.appendingPathComponent("L/000005-5-b.jpg").path
        var uids: [String] = []
        for (name, patient) in [("a.dcm", "P1"), ("b.dcm", "P2"), ("c.dcm", "P1")] {
            let out = dir.appendingPathComponent(name).path
            let r = try CLI.run(["convert", jpeg, "--out", out, "--patient-id", patient])
            #expect(r.status == 0, "\(r.stderr)")
            uids.append(try #require(try DICOMFile(path: out).text("SOPInstanceUID")))
        }
        #expect(uids[0] != uids[1], "two patients, one UID")
        #expect(uids[0] == uids[2])
        #expect(try Digest.sha256Hex(ofFileAt: dir.appendingPathComponent("a.dcm").path)
                == Digest.sha256Hex(ofFileAt: dir.appendingPathComponent("c.dcm").path))
        let sc = try DICOMFile(path: dir.appendingPathComponent("a.dcm").path)
        #expect(sc.text("LossyImageCompression") == "01")
        #expect(sc.text("LossyImageCompressionMethod") == "ISO_10918_1")
        #expect(Double(sc.text("LossyImageCompressionRatio") ?? "") ?? 0 > 1)
        #expect(sc.text("BurnedInAnnotation") == nil, "a PNG/JPEG cannot tell whether it shows text")
        #expect(try Self.meta(dir.appendingPathComponent("a.dcm").path, "0002,0012") == "2.25.186586493288399124360583939538916151549")
    }

    @Test("two sources under one SOP Instance UID with different content get different objects; a rerun keeps the first run's time and bytes")
    func sharedSourceUID() throws {
        let input = TestPaths.temporaryDirectory("identity-in"), out = TestPaths.temporaryDirectory("identity-out")
        let fm = FileManager.default
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let a = input.appendingPathComponent("a.dcm").path, b = input.appendingPathComponent("b.dcm").path
        try fm.copyItem(atPath: ProcessCLITests.rg1, toPath: a)
        try fm.copyItem(atPath: ProcessCLITests.rg1, toPath: b)
        // b: same UIDs, other content (burned-in text declared, another patient ID).
        #expect(try Tool.run(dcmodify, ["-nb", "-i", "(0028,0301)=YES", "-m", "(0010,0020)=OTHER", b]).status == 0)
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = try ProcessCLITests.digests(out).keys.filter { $0.hasSuffix(".dcm") && !$0.hasPrefix("tagged") }.sorted()
        var uidOf: [String: String] = [:]
        for rel in written {
            let file = try DICOMFile(path: out.appendingPathComponent(rel).path)
            let uid = try #require(file.text("SOPInstanceUID"))
            if (rel as NSString).lastPathComponent.hasPrefix("a.") || (rel as NSString).lastPathComponent.hasPrefix("b.") {
                if file.text("Modality") != "CR" { uidOf[rel] = uid }  // tagged copies keep the source's UID
            }
            #expect(try Self.meta(out.appendingPathComponent(rel).path, "0002,0012") == "2.25.186586493288399124360583939538916151549", "\(rel)")
            #expect(try Self.meta(out.appendingPathComponent(rel).path, "0002,0013") == "CXREXPLAIN_0417", "\(rel)")
        }
        #expect(uidOf.count >= 6, "\(written)")
        #expect(Set(uidOf.values).count == uidOf.count, "two objects share a UID: \(uidOf)")
        // Burned In Annotation: b's derived images say YES, as b does; a's say what a says (nothing or NO).
        for (rel, _) in uidOf where rel.hasSuffix(".gray.dcm") || rel.hasSuffix(".rgb.dcm") {
            let burned = try DICOMFile(path: out.appendingPathComponent(rel).path).text("BurnedInAnnotation")
            let source = (rel as NSString).lastPathComponent.hasPrefix("b.") ? "YES" : try DICOMFile(path: a).text("BurnedInAnnotation")
            #expect(burned == source, "\(rel): \(burned ?? "none") against the source's \(source ?? "none")")
        }
        // A rerun after an output was lost redoes that image at the first run's time: the same bytes.
        let sr = try #require(written.first { $0.hasSuffix("a.sr.dcm") }, "\(written)")
        let before = try Digest.sha256Hex(ofFileAt: out.appendingPathComponent(sr).path)
        let created = try DICOMFile(path: out.appendingPathComponent(sr).path).text("InstanceCreationDate")
        #expect(created?.count == 8)
        try fm.removeItem(at: out.appendingPathComponent(sr))
        sleep(2)
        #expect(try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"]).status == 0)
        #expect(try Digest.sha256Hex(ofFileAt: out.appendingPathComponent(sr).path) == before)
    }
}
