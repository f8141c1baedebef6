import Foundation
import Preprocess
import TestSupport
import Testing

/// The names and metadata of a safetensors file, read from its JSON header (tests read files the binary wrote).
enum SafeTensorsHeader {
    static func read(_ path: String) throws -> (tensors: Set<String>, metadata: [String: String]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        return (Set(header.keys.filter { $0 != "__metadata__" }), header["__metadata__"] as? [String: String] ?? [:])
    }
}

/// train → evaluate → classify through the binary, on a few shared images.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct ClassifierCLITests {
    static let shippedModel = TestPaths.packageRoot.appendingPathComponent("sample-data/models/cxr-views-squeezenet.safetensors").path

    /// A manifest in `dir` of the first `perView` development films of each view (absolute paths), and its rows.
    static func smallManifest(perView: Int, in dir: URL) throws -> (path: String, picked: [[String: String]]) {
        let rows = readTSV(TestPaths.viewData.appendingPathComponent("MANIFEST.tsv"))
        let picked = ["PA", "AP", "L"].flatMap { label in rows.filter { $0["label"] == label }.prefix(perView) }
        let manifest = dir.appendingPathComponent("MANIFEST.tsv").path
        try (["file\tlabel\tpatient_id"] + picked.map { "\(TestPaths.viewData.appendingPathComponent($0["file"]!).path)\t\($0["label"]!)\t\($0["patient_id"]!)" })
            .joined(separator: "\n").appending("\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        return (manifest, picked)
    }

    @Test("train --probe-share fits the feature probe per fold and for the model; the model file carries it and classify uses it")
    func trainWithProbe() throws {
        let dir = TestPaths.temporaryDirectory("cli-probe")
        let (manifest, picked) = try Self.smallManifest(perView: 6, in: dir)
        let out = dir.appendingPathComponent("probed.safetensors").path
        let imagenet = TestPaths.shared.appendingPathComponent("models/squeezenet1_1-imagenet.safetensors").path
        let r = try CLI.run(["train", manifest, "--out", out, "--init", imagenet, "--cross-validate", "3", "--epochs", "1", "--patience", "0",
                             "--batch-size", "6", "--probe-share", "0.25", "--probe-sizes", "160", "--cv-predictions", dir.appendingPathComponent("cv.tsv").path])
        #expect(r.status == 0, "\(r.stderr)")
        for f in 1...3 { #expect(r.stdout.contains("fold \(f): probe held-out accuracy"), "\(r.stdout)") }
        #expect(r.stdout.contains("probe: pooled accuracy") && r.stdout.contains("probe: λ"), "\(r.stdout)")
        let (tensors, metadata) = try SafeTensorsHeader.read(out)
        #expect(tensors.filter { $0.hasPrefix("probe.") } == Set(["probe.weight", "probe.bias", "probe.mean", "probe.scale"]))
        #expect(metadata["probe.sizes"] == "160" && metadata["probe.share"] == "0.25")
        let card = try String(contentsOfFile: dir.appendingPathComponent("probed.card.md").path, encoding: .utf8)
        #expect(card.contains("### Feature probe") && card.contains("inputs of 160 pixels"), "\(card)")
        // The card's intended use names the per-class thresholds the model file carries and classify applies.
        let thresholds = try JSONDecoder().decode([String: Double].self, from: Data(try #require(metadata["thresholds"]).utf8))
        let named = ["PA", "AP", "L"].map { "\($0) \(String(format: "%.3f", thresholds[$0] ?? -1))" }.joined(separator: ", ")
        #expect(card.contains("reaches\nits class's threshold (\(named) unless `--threshold` says otherwise)"), "\(card)")
        // Every held-out film has a probe row in the predictions.
        let cv = try String(contentsOfFile: dir.appendingPathComponent("cv.tsv").path, encoding: .utf8)
        #expect(cv.split(separator: "\n").filter { $0.split(separator: "\t").dropFirst(4).first == "probe" }.count == picked.count)
        let classified = try CLI.run(["classify", "--model", out] + picked.prefix(2).map { TestPaths.viewData.appendingPathComponent($0["file"]!).path })
        #expect(classified.status == 0, "\(classified.stderr)")
        #expect(classified.stdout.split(separator: "\n").filter { $0.contains("no header view") }.count == 2, "\(classified.stdout)")
        // The probe's own map, at the model's probe size, of the decision's class.
        let film = TestPaths.viewData.appendingPathComponent(picked[0]["file"]!).path
        let explained = try CLI.run(["explain", film, "--methods", "gradcam", "probe", "--model", out, "--json", "--out", dir.appendingPathComponent("maps").path])
        #expect(explained.status == 0, "\(explained.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(explained.stdout.utf8)) as! [String: Any]
        #expect((summary["outputs"] as! [String]).filter { $0.hasSuffix(".probe.npy") || $0.hasSuffix(".probe.png") }.count == 2)
        #expect(summary["targetClass"] as? String == summary["predicted"] as? String)
        // Each part's probability beside the decision's, as classify gives them.
        let classifiedFilm = try CLI.run(["classify", "--json", "--model", out, film])
        let parts = ((try JSONSerialization.jsonObject(with: Data(classifiedFilm.stdout.utf8)) as! [[String: Any]])[0]["decision"] as! [String: Any])["parts"] as! [String: [String: Double]]
        let predicted = try #require(summary["predicted"] as? String)
        #expect(abs((summary["probeProbability"] as? Double ?? -1) - parts["probe"]![predicted]!) < 1e-9)
        #expect(abs((summary["networkProbability"] as? Double ?? -1) - parts["networks"]![predicted]!) < 1e-5)
    }

    @Test("train and evaluate take PadChest's label CSV with --images: three views, skipped rows counted, a card")
    func trainAndEvaluatePadChest() throws {
        let dir = TestPaths.temporaryDirectory("cli-train")
        let rows = readTSV(TestPaths.viewData.appendingPathComponent("MANIFEST.tsv"))
        // PadChest's spellings of the development films' views; two rows of projections that are skipped.
        let picked = rows.filter { $0["label"] == "PA" }.prefix(6).map { ($0, "PA") }
            + rows.filter { $0["label"] == "AP" }.prefix(4).enumerated().map { ($0.element, $0.offset % 2 == 0 ? "AP" : "AP_horizontal") }
            + rows.filter { $0["label"] == "L" }.prefix(4).map { ($0, "L") }
        var csv = "ImageID,ImageDir,StudyDate_DICOM,StudyID,PatientID,PatientBirth,PatientSex_DICOM,ViewPosition_DICOM,Projection,Labels\n"
        for (row, projection) in picked {
            let file = row["file"]!
            csv += "\((file as NSString).lastPathComponent),\((file as NSString).deletingLastPathComponent),20200101,s,\(row["patient_id"]!),1950,M,,\(projection),\"['normal', 'x']\"\n"
        }
        csv += "rib.png,PA,20200101,s,p-costal,1950,M,,COSTAL,\"['rib']\"\nbad.png,PA,20200101,s,p-ex,1950,M,,EXCLUDE,\"['exclude']\"\n"
        let labels = dir.appendingPathComponent("PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv").path
        try csv.write(toFile: labels, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("tiny.safetensors").path
        let refused = try CLI.run(["train", labels, "--images", TestPaths.viewData.path, "--out", out, "--label-smoothing", "1"])
        #expect(refused.status == 2 && refused.stderr.contains("--label-smoothing must be in [0, 1)"), "\(refused.stderr)")
        let noInit = try CLI.run(["train", labels, "--images", TestPaths.viewData.path, "--out", out, "--backbone-lr-scale", "0.1"])
        #expect(noInit.status == 2 && noInit.stderr.contains("--backbone-lr-scale needs --init"), "\(noInit.stderr)")
        let noFolds = try CLI.run(["train", labels, "--images", TestPaths.viewData.path, "--out", out, "--probe-share", "0.25", "--cross-validate", "2"])
        #expect(noFolds.status == 2 && noFolds.stderr.contains("--probe-share needs --cross-validate 3 or more"), "\(noFolds.stderr)")
        let r = try CLI.run(["train", labels, "--images", TestPaths.viewData.path, "--out", out, "--epochs", "2", "--batch-size", "4", "--seed", "3",
                             "--label-smoothing", "0.1", "--tone", "equalized"])
        #expect(r.status == 0, "\(r.stderr)")
        // A model without a feature probe has no probe map: refused before any image, for explain and process alike.
        let film = TestPaths.viewData.appendingPathComponent(picked[0].0["file"]!).path
        for command in [["explain", film, "--methods", "gradcam", "probe", "--out", dir.appendingPathComponent("maps").path],
                        ["process", film, "--methods", "probe", "--out", dir.appendingPathComponent("processed").path]] {
            let noProbe = try CLI.run(command + ["--model", out])
            #expect(noProbe.status == 2 && noProbe.stderr.contains("--methods probe: \(out) has no feature probe"), "\(noProbe.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("processed").path), "process wrote before refusing")
        #expect(r.stdout.contains("classes: PA, AP, L (6 / 4 / 4 images)"), "\(r.stdout)")
        #expect(r.stdout.contains("skipped 1 rows: projection COSTAL") && r.stdout.contains("skipped 1 rows: projection EXCLUDE"))
        #expect(r.stdout.contains("epoch   1/2") && r.stdout.contains("val acc"))
        // Early stopping may end the run sooner: the count and the time left are upper bounds.
        #expect(r.stdout.contains("(2 of at most 2 epochs in all, at most 0 s left)"), "\(r.stdout)")
        let card = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("tiny.card.json"))) as! [String: Any]
        #expect((card["data"] as! [String: Any])["images"] as? Int == 14)
        #expect(card["classes"] as? [String] == ["PA", "AP", "L"])
        #expect(card["weightsSHA256"] as? String == (try Digest.sha256Hex(ofFileAt: out)))
        let cardText = try String(contentsOf: dir.appendingPathComponent("tiny.card.md"), encoding: .utf8)
        #expect(cardText.contains("class-weighted loss true, label smoothing 0.1, seed 3"), "\(cardText)")
        #expect(cardText.contains("gray levels histogram-equalised"), "\(cardText)")
        #expect(try SafeTensorsHeader.read(out).metadata["tone"] == "equalized")
        let e = try CLI.run(["evaluate", labels, "--images", TestPaths.viewData.path, "--model", out, "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        let metrics = report["metrics"] as! [String: Any]
        let decisions = report["decisions"] as! [[String: Any]]
        let films = decisions.map { ($0["outcomes"] as! [String: Int]).values.reduce(0, +) }
        #expect(decisions.map { $0["name"] as! String } == ["PA", "AP", "L"])
        #expect(films == [6, 4, 4])
        // Every film is scored by the classifier (the content check's refusals included); the decisions are apart.
        #expect(metrics["count"] as? Int == 14)
        // Progress on stderr (not a terminal here: a plain line at every tenth and at the end), never in the JSON.
        #expect(e.stderr.contains("evaluate: 14/14 "), "\(e.stderr)")
    }

    @Test("cross-validation of a soup writes each member's held-out logits beside the soup's; the card names the soup; an ensemble's file holds every network and classifies")
    func crossValidatedSoup() throws {
        let dir = TestPaths.temporaryDirectory("cli-soup")
        let (manifest, picked) = try Self.smallManifest(perView: 4, in: dir)
        let predictions = dir.appendingPathComponent("cv.tsv").path, out = dir.appendingPathComponent("soup.safetensors").path
        let common = ["--epochs", "1", "--batch-size", "4", "--patience", "0", "--input-size", "96", "--soup", "2"]
        let r = try CLI.run(["train", manifest, "--out", out, "--cross-validate", "2", "--cv-only", "--cv-predictions", predictions] + common)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("member 2/2 epoch   1/1"), "\(r.stdout)")
        // Time left over the whole run: 2 folds × 2 members × 1 epoch, no final model under --cv-only.
        #expect(r.stdout.contains("(1 of 4 epochs in all, about ") && r.stdout.contains("(4 of 4 epochs in all, about 0 s left)"), "\(r.stdout)")
        // The negative-image rule weighed on every held-out film (each film's negative run through its fold's model).
        #expect(r.stdout.contains(" of 12 held-out films lie farther than their negative"), "\(r.stdout)")
        let table = readTSV(URL(fileURLWithPath: predictions))
        #expect(Set(table.map { $0["variant"]! }).isSuperset(of: ["input", "member1", "member2"]))
        // The soup is neither member, and each film has one row per variant.
        for film in Set(table.map { $0["path"]! }) {
            let byVariant = Dictionary(uniqueKeysWithValues: table.filter { $0["path"] == film }.map { ($0["variant"]!, $0["logit_PA"]!) })
            #expect(byVariant["input"] != byVariant["member1"] || byVariant["input"] != byVariant["member2"], "\(film)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let t = try CLI.run(["train", manifest, "--out", out, "--tone", "three-tones"] + common)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(try SafeTensorsHeader.read(out).metadata["tone"] == "three-tones")
        #expect(t.stdout.contains("(2 of 2 epochs in all, about 0 s left)"), "\(t.stdout)")
        let card = try String(contentsOfFile: dir.appendingPathComponent("soup.card.md").path, encoding: .utf8)
        #expect(card.contains("the weights of 2 runs averaged"), "\(card)")
        #expect(card.contains("three tones as the three channels (as read, histogram-equalised, square root), then "), "\(card)")
        // An ensemble's file holds both networks, and the commands read it as one model.
        let ensemble = dir.appendingPathComponent("ensemble.safetensors").path
        let e = try CLI.run(["train", manifest, "--out", ensemble] + common.dropLast(2) + ["--ensemble", "2"])
        #expect(e.status == 0, "\(e.stderr)")
        let (tensors, metadata) = try SafeTensorsHeader.read(ensemble)
        #expect(metadata["members"] == "2" && tensors.contains("member1.classifier.1.weight") && tensors.contains("classifier.1.weight"))
        let ensembleCard = try String(contentsOfFile: dir.appendingPathComponent("ensemble.card.md").path, encoding: .utf8)
        #expect(ensembleCard.contains("an ensemble of 2 networks"))
        let c = try CLI.run(["classify", "--json", "--model", ensemble, TestPaths.viewData.appendingPathComponent("L/000002-3.png").path])
        #expect(c.status == 0, "\(c.stderr)")
    }

    @Test("classify with the shipped model: decision, calibrated probabilities of three views, header agreement; a bad file fails alone")
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
        let decisions = results.map { $0["decision"] as! [String: Any] }
        #expect((decisions[0]["mostLikely"] as? [String: Any])?["name"] as? String == "PA")
        #expect(results[0]["headerViewPosition"] as? String == "PA")
        #expect((decisions[1]["mostLikely"] as? [String: Any])?["name"] as? String == "L")
        for d in decisions {
            let p = d["probabilities"] as! [String: Double]
            #expect(Set(p.keys) == ["PA", "AP", "L"])
            #expect(abs(p.values.reduce(0, +) - 1) < 1e-5)
        }
        // The text form shows the same decision.
        let text = try CLI.run(["classify", "--model", Self.shippedModel, "--threshold", "0.5", chest])
        #expect(text.status == 0 && text.stdout.contains("\tPA\t") && text.stdout.contains("agree"), "\(text.stdout)")
        #expect(try CLI.run(["classify", "--threshold", "0.2", chest]).status == 2)
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct ExplainCLITests {
    @Test("explain writes the same map bytes with one thread as with two (Grad-CAM, LIME, occlusion, the probe's map)")
    func explainThreadIndependent() throws {
        let image = TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm"), stem = "chest_CR_PA_RG1_JLSN"
        let arguments = [image, "--methods", "gradcam", "lime", "occlusion", "probe", "--samples", "200", "--model", ClassifierCLITests.shippedModel]
        let all = TestPaths.temporaryDirectory("cli-explain-two"), one = TestPaths.temporaryDirectory("cli-explain-one")
        let r = try CLI.run(["explain"] + arguments + ["--threads", "2", "--out", all.path])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try CLI.run(["explain"] + arguments + ["--threads", "1", "--out", one.path])
        #expect(t.status == 0, "\(t.stderr)")
        for method in ["gradcam", "lime", "occlusion", "probe"] {
            let a = try Data(contentsOf: all.appendingPathComponent("\(stem).\(method).npy"))
            let b = try Data(contentsOf: one.appendingPathComponent("\(stem).\(method).npy"))
            #expect(a.count == 128 + 227 * 227 * 4 && a == b, "\(method): maps differ between one core and all")
        }
    }

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
        // The calibrated probability, as classify reports it.
        let c = try CLI.run(["classify", "--json", "--model", ClassifierCLITests.shippedModel, image])
        let decision = (try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [[String: Any]])[0]["decision"] as! [String: Any]
        let p = try #require(decision["probability"] as? Double), q = try #require(summary["probability"] as? Double)
        #expect(abs(p - q) < 1e-5, "explain \(q), classify \(p)")
        // And the decision, as classify makes it.
        #expect(summary["decision"] as? String == decision["outcome"] as? String && summary["decision"] as? String == "view")
        #expect(summary["decisionReason"] as? String == decision["reason"] as? String)
        let stem = "chest_CR_PA_gdcm-CR-MONO1-10-chest"
        let map = try Data(contentsOf: dir.appendingPathComponent("\(stem).gradcam.npy"))
        #expect(map.count == 128 + 227 * 227 * 4)
        let input = try Data(contentsOf: dir.appendingPathComponent("\(stem).input.npy"))
        #expect(input.count == 128 + 3 * 227 * 227 * 4)
        let png = try RasterImage.load(path: dir.appendingPathComponent("\(stem).gradcampp.png").path)
        #expect(png.width == 227 && png.channels == 3)
    }
}
