import Foundation
import Preprocess
import TestSupport
import Testing

/// train → evaluate → classify through the binary, on a few shared images.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct ClassifierCLITests {
    static let shippedModel = TestPaths.packageRoot.appendingPathComponent("sample-data/models/cxr-views-squeezenet.safetensors").path

    @Test("train writes weights and a model card; evaluate reads them back")
    func trainAndEvaluate() throws {
        let dir = TestPaths.temporaryDirectory("cli-train")
        let rows = readTSV(TestPaths.viewData.appendingPathComponent("MANIFEST.tsv"))
        let picked = rows.filter { $0["label"] == "PA" }.prefix(6) + rows.filter { $0["label"] == "L" }.prefix(4)
        let manifest = dir.appendingPathComponent("MANIFEST.tsv").path
        let text = "file\tlabel\tpatient_id\n" + picked.map {
            "\(TestPaths.viewData.appendingPathComponent($0["file"]!).path)\t\($0["label"]!)\t\($0["patient_id"]!)"
        }.joined(separator: "\n")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("tiny.safetensors").path
        let r = try CLI.run(["train", manifest, "--out", out, "--epochs", "2", "--batch-size", "4", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("epoch   1/2") && r.stdout.contains("val acc"))
        let card = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("tiny.card.json"))) as! [String: Any]
        #expect((card["data"] as! [String: Any])["images"] as? Int == 10)
        #expect(card["weightsSHA256"] as? String == (try Digest.sha256Hex(ofFileAt: out)))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tiny.card.md").path))
        let e = try CLI.run(["evaluate", manifest, "--model", out, "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let metrics = (try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any])["metrics"] as! [String: Any]
        #expect(metrics["count"] as? Int == 10)
    }

    @Test("classify with the shipped model: view, probability, header agreement; a bad file fails alone")
    func classify() throws {
        guard FileManager.default.fileExists(atPath: Self.shippedModel) else {
            Issue.record("the shipped model is missing: \(Self.shippedModel)")
            return
        }
        let chest = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let lateral = TestPaths.viewData.appendingPathComponent("L/000002-3.png").path
        let bad = TestPaths.dicom("edge/MR_truncated_pixeldata.dcm")
        let r = try CLI.run(["classify", "--json", "--model", Self.shippedModel, chest, lateral, bad])
        #expect(r.status == 1)
        #expect(r.stderr.contains(bad))
        let results = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        #expect(results.count == 2)
        #expect(results[0]["mostLikely"] as? String == "PA")
        #expect(results[0]["headerViewPosition"] as? String == "PA")
        #expect(results[1]["mostLikely"] as? String == "L")
        for result in results {
            let p = result["probabilities"] as! [String: Double]
            #expect(abs(p["PA"]! + p["L"]! - 1) < 1e-5)
        }
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct ExplainCLITests {
    @Test("explain writes an overlay PNG and a 227×227 map per method, and the network input")
    func explain() throws {
        let dir = TestPaths.temporaryDirectory("cli-explain")
        let image = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let r = try CLI.run(["explain", image, "--method", "gradcam", "gradcam++", "--out", dir.path, "--save-input", "--json",
                             "--model", ClassifierCLITests.shippedModel])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["predicted"] as? String == "PA")
        #expect((summary["outputs"] as! [String]).count == 5)
        let stem = "chest_CR_PA_gdcm-CR-MONO1-10-chest"
        let map = try Data(contentsOf: dir.appendingPathComponent("\(stem).gradcam.npy"))
        #expect(map.count == 128 + 227 * 227 * 4)
        let input = try Data(contentsOf: dir.appendingPathComponent("\(stem).input.npy"))
        #expect(input.count == 128 + 3 * 227 * 227 * 4)
        let png = try RasterImage.load(path: dir.appendingPathComponent("\(stem).gradcampp.png").path)
        #expect(png.width == 227 && png.channels == 3)
    }
}
