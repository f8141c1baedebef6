import Foundation
import Preprocess
import TestSupport
import Testing

/// What is not a chest radiograph gets no view: the header gate (CT, MR, a hip CR, a multi-frame object, a
/// localizer), the colour check (a colour PNG) and the content check (synthetic pictures as PNG, a dental CR
/// without a body part), through `process` and `classify` with the shipped model.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct NotChestCLITests {
    static let notChest = TestPaths.shared.appendingPathComponent("data/not-chest")

    /// Gray pictures no radiograph looks like, 256², 8-bit.
    static func syntheticNegatives() -> [(String, [UInt16])] {
        let s = 256
        var rng = SplitMix64Generator(seed: 7)
        return [
            ("black", [UInt16](repeating: 0, count: s * s)),
            ("white", [UInt16](repeating: 255, count: s * s)),
            ("noise", (0..<(s * s)).map { _ in UInt16(rng.next() % 256) }),
            ("gradient", (0..<(s * s)).map { UInt16(($0 % s) * 255 / (s - 1)) }),
            ("checker", (0..<(s * s)).map { (($0 % s) / 32 + ($0 / s) / 32) % 2 == 0 ? 0 : 255 }),
            ("rings", (0..<(s * s)).map { i in
                let x = Double(i % s - s / 2), y = Double(i / s - s / 2)
                return sin((x * x + y * y).squareRoot() / 5) > 0 ? 230 : 20 }),
        ]
    }

    static func makeTree() throws -> URL {
        let root = TestPaths.temporaryDirectory("notchest-in")
        let fm = FileManager.default
        for name in ["CT_dicompyler.dcm", "MR_bbmri_1.dcm"] {
            try fm.copyItem(atPath: notChest.appendingPathComponent(name).path, toPath: root.appendingPathComponent(name).path)
        }
        try fm.copyItem(atPath: TestPaths.dicom("nonchest_CR_RG2_UNC.dcm"), toPath: root.appendingPathComponent("hip.dcm").path)
        try fm.copyItem(atPath: TestPaths.dicom("nonchest_CR_teeth_CR-ModalitySequenceLUT.dcm"), toPath: root.appendingPathComponent("teeth.dcm").path)
        // A chest CR marked as a localizer, and one claiming three frames: refused by the header alone.
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let scout = root.appendingPathComponent("scout.dcm").path
        try fm.copyItem(atPath: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"), toPath: scout)
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0008,0008)=ORIGINAL\\PRIMARY\\LOCALIZER", scout]).status == 0)
        for (name, values) in syntheticNegatives() {
            _ = fm.createFile(atPath: root.appendingPathComponent("\(name).png").path,
                              contents: Data(MinimalPNG.encode(width: 256, height: 256, bitDepth: 8, colorType: 0, samples: values)))
        }
        // A colour picture, which the colour check refuses before the model.
        _ = fm.createFile(atPath: root.appendingPathComponent("colour.png").path, contents: Data(MinimalPNG.colourPicture()))
        return root
    }

    struct Results: Decodable {
        struct Image: Decodable { var relativePath: String; var status: String; var skipReason: String?; var view: String?; var outputs: [Output]; var warnings: [String]? }
        struct Output: Decodable { var path: String }
        var images: [Image]
    }

    @Test("process: every input is skipped with its reason, nothing is written, exit status 0; classify says the same")
    func nothingWritten() throws {
        let input = try Self.makeTree()
        let out = TestPaths.temporaryDirectory("notchest-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let byName = Dictionary(uniqueKeysWithValues: results.images.map { ($0.relativePath, $0) })
        #expect(byName.count == 12)
        for image in results.images {
            #expect(image.status == "skipped", "\(image.relativePath): \(image.status) \(image.view ?? "")")
            #expect(image.view == nil && image.outputs.isEmpty, "\(image.relativePath) wrote \(image.outputs.map(\.path))")
        }
        #expect(byName["CT_dicompyler.dcm"]?.skipReason == "Modality CT is not a projection radiograph")
        #expect(byName["MR_bbmri_1.dcm"]?.skipReason == "Modality MR is not a projection radiograph")
        #expect(byName["hip.dcm"]?.skipReason == "Body Part Examined HIP is not the chest")
        #expect(byName["scout.dcm"]?.skipReason == "Image Type LOCALIZER: a scout image")
        #expect(byName["colour.png"]?.skipReason?.hasPrefix("not a chest radiograph: a colour picture (colour independent of brightness ") == true,
                "\(byName["colour.png"]?.skipReason ?? "")")
        for name in ["teeth.dcm"] + Self.syntheticNegatives().map({ "\($0.0).png" }) {
            #expect(byName[name]?.skipReason?.hasPrefix("not a chest radiograph") == true, "\(name): \(byName[name]?.skipReason ?? "")")
        }
        // The dental CR's SOP Instance UID breaks the UID syntax, but a skipped image is referenced by nothing.
        #expect(byName["teeth.dcm"]?.warnings?.isEmpty ?? true, "\(byName["teeth.dcm"]?.warnings ?? [])")
        #expect(!r.stdout.contains("warning: the source's"), "\(r.stdout)")
        // One value everywhere shows nothing: refused before the model, whatever the content check would say.
        #expect(byName["black.png"]?.skipReason == "not a chest radiograph: a blank image (every pixel is 0)")
        #expect(byName["white.png"]?.skipReason == "not a chest radiograph: a blank image (every pixel is 255)")
        // Only the report and the run's records: no DICOM object, no thumbnail of a skipped input.
        let written = FileManager.default.enumerator(atPath: out.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".dcm") || $0.hasSuffix(".png") }
        #expect(written.isEmpty, "\(written)")
        #expect(r.stdout.contains("12 skipped (not a chest radiograph or not an image)"), "\(r.stdout)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Modality CT is not a projection radiograph") && html.contains("data-f=\"skipped\""))

        let c = try CLI.run(["classify", input.path, "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let decisions = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [[String: Any]]
        #expect(decisions.count == 12)
        for d in decisions {
            let outcome = (d["decision"] as! [String: Any])["outcome"] as! String
            #expect(outcome == "skipped" || outcome == "not-chest", "\(d["file"]!): \(outcome)")
        }
        // As text: the reason, and no view probability for what is not a chest film.
        let text = try CLI.run(["classify", input.appendingPathComponent("checker.png").path])
        let columns = text.stdout.trimmingCharacters(in: .newlines).split(separator: "\t").map(String.init)
        #expect(columns.count == 5 && columns[1].hasPrefix("not a chest radiograph (content distance ") && columns[2] == "-", "\(text.stdout)")
    }

    @Test("explain: a CT and a synthetic picture are explained, saying classify and process skip them, but --dicom writes nothing into their studies")
    func explainNotChest() throws {
        let root = try Self.makeTree()
        for name in ["CT_dicompyler.dcm", "rings.png"] {
            let input = root.appendingPathComponent(name).path
            let verdict = try CLI.run(["classify", input]).stdout.split(separator: "\t").map(String.init)
            #expect(verdict.count >= 2, "\(verdict)")
            let out = root.appendingPathComponent("explain-\(name)")
            let refused = try CLI.run(["explain", input, "--methods", "gradcam", "--out", out.path, "--dicom"])
            #expect(refused.status == 1 && refused.stderr.contains("\(input): no DICOM explanation written: "), "\(refused.stderr)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).isEmpty, "nothing written")
            let plain = try CLI.run(["explain", input, "--methods", "gradcam", "--out", out.path])
            #expect(plain.status == 0, "\(plain.stderr)")
            // The same reason classify gives (its second column), word for word.
            let reason = verdict[1].hasPrefix("skipped: ") ? String(verdict[1].dropFirst("skipped: ".count)) : verdict[1]
            #expect(plain.stdout.contains("  skipped by classify and process: \(reason); the map shows"), "\(plain.stdout) / \(verdict)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent((name as NSString).deletingPathExtension + ".gradcam.png").path))
        }
    }
}

/// A seeded generator for the tests' synthetic pictures.
struct SplitMix64Generator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
