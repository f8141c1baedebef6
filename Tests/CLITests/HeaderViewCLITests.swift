import Foundation
import Preprocess
import TestSupport
import Testing

/// Real chest DICOMs whose header says the view other than by ViewPosition: Series Description's words withhold
/// the network's PA and settle a surely frontal film as AP; a DX's View Code Sequence is the header's view.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct HeaderViewCLITests {
    struct Results: Decodable {
        struct Image: Decodable {
            var relativePath: String; var decision: String?; var view: String?; var headerText: String?; var decisionReason: String?
        }
        var images: [Image]
    }

    /// A copy of a shared chest DICOM with no ViewPosition and the given Series Description.
    static func film(_ name: String, seriesDescription: String, into folder: URL, as copy: String) throws {
        let path = folder.appendingPathComponent(copy).path
        try FileManager.default.copyItem(atPath: TestPaths.dicom(name), toPath: path)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let r = try Tool.run(dcmodify, ["-nb", "-ea", "(0018,5101)", "-i", "(0008,103E)=\(seriesDescription)", path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("CHEST AP PORTABLE withholds a PA the network is sure of; PORTABLE makes a surely frontal film AP (SR, results, report)")
    func wordsDecide() throws {
        let input = TestPaths.temporaryDirectory("words-in")
        // The network: PA at p 0.974 (CR), and frontal, AP/PA uncertain (a Secondary Capture: the SR carries the view).
        try Self.film("chest_CR_PA_RG1_JLSN.dcm", seriesDescription: "CHEST AP PORTABLE", into: input, as: "pa.dcm")
        try Self.film("chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm",
                      seriesDescription: "Portable chest", into: input, as: "frontal.dcm")
        // A lateral order (Procedure Code Sequence, from the RIS) against the network's PA of the same CR film.
        try Self.film("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm", seriesDescription: "CHEST", into: input, as: "ordered-lateral.dcm")
        let dcmodify = try #require(Tool.find("dcmodify"))
        #expect(try Tool.run(dcmodify, ["-nb", "-i", "(0008,1032)[0].(0008,0104)=XR CHEST LATERAL ONLY",
                                        input.appendingPathComponent("ordered-lateral.dcm").path]).status == 0)
        let out = TestPaths.temporaryDirectory("words-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("pa.dcm: frontal, AP/PA uncertain (Series Description says AP (AP, PORTABLE)) p=0.97"), "\(r.stdout)")
        #expect(r.stdout.contains("frontal.dcm: AP (Series Description says AP (PORTABLE)) p=0.8"), "\(r.stdout)")
        #expect(r.stdout.contains("ordered-lateral.dcm: uncertain (PA?) (Procedure Code says lateral (LATERAL)) p=0.98"), "\(r.stdout)")

        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let byName = Dictionary(uniqueKeysWithValues: results.images.map { ($0.relativePath, $0) })
        let pa = try #require(byName["pa.dcm"]), frontal = try #require(byName["frontal.dcm"])
        #expect(pa.view == nil && pa.decision == "frontal-uncertain" && pa.headerText == "Series Description says AP (AP, PORTABLE)")
        #expect(pa.decisionReason?.hasPrefix("the network says PA (p 0.97") == true && pa.decisionReason?.hasSuffix("), but Series Description says AP (AP, PORTABLE)") == true,
                "\(pa.decisionReason ?? "")")
        #expect(frontal.view == "AP" && frontal.decision == "view")
        // Nothing was written into the PA film's header: no tagged copy.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("pa.dcm").path))
        let csv = try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8)
        #expect(csv.contains("from the header's words on a surely frontal film (Series Description says AP (PORTABLE)"), "\(csv)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("AP from the header&#39;s words") || html.contains("AP from the header's words"))
        let dsrdump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let dump = try Tool.run(dsrdump, ["+Pl", out.appendingPathComponent("frontal.sr.dcm").path]).stdout
        #expect(dump.contains("AP: from the header's words on a surely frontal film"), "\(dump)")
        #expect(dump.contains("antero-posterior"), "\(dump)")

        let classify = try CLI.run(["classify", "--no-read-markers", input.path])
        #expect(classify.stdout.contains("frontal.dcm\tAP (Series Description says AP (PORTABLE))\t0.8"), "\(classify.stdout)")

        // inspect shows the words weighed, never the description itself.
        let inspect = try CLI.run(["inspect", input.appendingPathComponent("pa.dcm").path, input.appendingPathComponent("ordered-lateral.dcm").path])
        #expect(inspect.stdout.contains("  header words      Series Description says AP (AP, PORTABLE)\n"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("  header words      Procedure Code says lateral (LATERAL)\n"), "\(inspect.stdout)")
        #expect(!inspect.stdout.contains("CHEST AP PORTABLE") && !inspect.stdout.contains("LATERAL ONLY"), "\(inspect.stdout)")
        let inspectJSON = try JSONSerialization.jsonObject(with: Data(try CLI.run(["inspect", "--json", input.appendingPathComponent("frontal.dcm").path]).stdout.utf8)) as! [String: Any]
        #expect(inspectJSON["headerWords"] as? [String] == ["Series Description says AP (PORTABLE)"])
    }

    @Test("a DX whose View Code Sequence alone says AP: the network's PA disagrees and is kept out; --overwrite-view replaces it, old code recorded")
    func viewCodeIsTheHeader() throws {
        let input = TestPaths.temporaryDirectory("viewcode-in")
        let path = input.appendingPathComponent("dx.dcm").path
        try FileManager.default.copyItem(atPath: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"), toPath: path)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let m = try Tool.run(dcmodify, ["-nb", "-m", "(0008,0016)=1.2.840.10008.5.1.4.1.1.1.1", "-m", "(0008,0060)=DX", "-ea", "(0018,5101)",
                                        "-i", "(0054,0220)[0].(0008,0100)=399348003", "-i", "(0054,0220)[0].(0008,0102)=SCT",
                                        "-i", "(0054,0220)[0].(0008,0104)=antero-posterior", path])
        #expect(m.status == 0, "\(m.stderr)")
        let out = TestPaths.temporaryDirectory("viewcode-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dx.dcm: PA p=0.98") && r.stdout.contains("header AP → kept-different"), "\(r.stdout)")
        #expect(r.stdout.contains("1 disagree with the header"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("dx.dcm").path), "a tagged copy against the modality's code")
        let classify = try CLI.run(["classify", "--no-read-markers", path])
        #expect(classify.stdout.contains("\theader AP\tdisagree"), "\(classify.stdout)")

        let overwrite = TestPaths.temporaryDirectory("viewcode-overwrite")
        let o = try CLI.run(["process", input.path, "--out", overwrite.path, "--methods", "gradcam", "--no-read-markers", "--overwrite-view"])
        #expect(o.status == 0 && o.stdout.contains("header AP → tagged"), "\(o.stdout)\(o.stderr)")
        let copy = try DICOMFile(path: overwrite.appendingPathComponent("dx.dcm").path)
        #expect(copy.text("ViewPosition") == "PA" && copy.text("ViewCodeSequence[0].CodeValue") == "272479007")
        #expect(copy.text("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewCodeSequence[0].CodeValue") == "399348003")
        // The copy adds no dciodvfy error to its source's own (a CR made DX lacks DX attributes either way).
        if let before = try DICOMChecks.dciodvfyFindings(path), let after = try DICOMChecks.dciodvfyFindings(overwrite.appendingPathComponent("dx.dcm").path) {
            let added = after.subtracting(before).filter { $0.hasPrefix("Error") }
            #expect(added.isEmpty, "\(added)")
        }
    }

    /// Copies of the upright MONOCHROME1 chest CR the network calls PA at p 0.99, its ViewPosition removed so a view
    /// would be written, each with one attribute inserted (`dcmodify -i` assignments such as "(0020,0020)=L\\F").
    static func paFilms(_ copies: [(name: String, insert: String)]) throws -> URL {
        let input = TestPaths.temporaryDirectory("pa-films")
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        for copy in copies {
            let path = input.appendingPathComponent("\(copy.name).dcm").path
            try FileManager.default.copyItem(atPath: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"), toPath: path)
            #expect(try Tool.run(dcmodify, ["-nb", "-ea", "(0018,5101)", "-gin", "-i", copy.insert, path]).status == 0)
        }
        return input
    }

    @Test("Patient Orientation: L\\F keeps the network's PA; A\\F (lateral) and F\\R (stored turned) withhold it, the turn named")
    func patientOrientation() throws {
        let input = try Self.paFilms([("frontal", "(0020,0020)=L\\F"), ("lateral", "(0020,0020)=A\\F"), ("turned", "(0020,0020)=F\\R")])
        let out = TestPaths.temporaryDirectory("orientation-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("frontal.dcm: PA p=0.98"), "\(r.stdout)")
        #expect(r.stdout.contains("lateral.dcm: uncertain (PA?) (Patient Orientation says lateral (A\\F)) p=0.98"), "\(r.stdout)")
        #expect(r.stdout.contains("turned.dcm: uncertain (PA?) (looks stored turned: 90 degrees clockwise sets it upright) (Patient Orientation says stored turned (F\\R))"),
                "\(r.stdout)")
        struct Results: Decodable {
            struct Image: Decodable { var relativePath: String; var view: String?; var turnToUpright: Int?; var decisionReason: String?; var headerText: String? }
            var images: [Image]
        }
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let byName = Dictionary(uniqueKeysWithValues: results.images.map { ($0.relativePath, $0) })
        #expect(byName["frontal.dcm"]?.view == "PA")
        let lateral = try #require(byName["lateral.dcm"]), turned = try #require(byName["turned.dcm"])
        #expect(lateral.view == nil && lateral.headerText == "Patient Orientation says lateral (A\\F)" && lateral.turnToUpright == nil)
        #expect(lateral.decisionReason?.hasPrefix("the network says PA (p 0.99") == true, "\(lateral.decisionReason ?? "")")
        #expect(turned.view == nil && turned.turnToUpright == 90)
        #expect(turned.decisionReason?.hasSuffix("but Patient Orientation says stored turned (F\\R): turned 90 degrees clockwise it is upright") == true,
                "\(turned.decisionReason ?? "")")
        // Only the film whose orientation agrees gets a tagged copy; the others' SRs carry no view.
        #expect(try DICOMFile(path: out.appendingPathComponent("frontal.dcm").path).text("ViewPosition") == "PA")
        for name in ["lateral", "turned"] {
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("\(name).dcm").path), "\(name)")
        }
        let dsrdump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let dump = try Tool.run(dsrdump, ["+Pl", out.appendingPathComponent("lateral.sr.dcm").path]).stdout
        #expect(dump.contains("Patient Orientation says lateral (A\\F)"), "\(dump)")
        #expect(!dump.contains("postero-anterior"), "\(dump)")

        // The report's tile: the header line, then why no view was written (said once).
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        // (The tiles sit in the page as JSON strings, for its paging: "/" escaped, a tile ending in "\n".)
        let tileStart = try #require(html.range(of: "lateral.dcm<\\/div>"))
        let tile = try #require(html[tileStart.upperBound...].components(separatedBy: "\\n").first)
        #expect(tile.components(separatedBy: "no view written").count == 2, "\(tile)")
        let headerLine = try #require(tile.range(of: "header: none · no view written")), reason = try #require(tile.range(of: "the network says PA"))
        #expect(headerLine.upperBound < reason.lowerBound, "\(tile)")

        let inspect = try CLI.run(["inspect", input.appendingPathComponent("turned.dcm").path])
        #expect(inspect.stdout.contains("  PatientOrientation F\\R (frontal, stored turned: 90 degrees clockwise sets it upright)\n"), "\(inspect.stdout)")
    }

    @Test("Distance Source to Detector: 1000 mm withholds the network's PA (frontal, AP/PA uncertain); 1800 mm keeps it; 180 is not weighed")
    func sourceDistance() throws {
        let input = try Self.paFilms([("bedside", "(0018,1110)=1000"), ("stand", "(0018,1110)=1800"), ("centimetres", "(0018,1110)=180")])
        let out = TestPaths.temporaryDirectory("distance-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("stand.dcm: PA p=0.98") && r.stdout.contains("centimetres.dcm: PA p=0.98"), "\(r.stdout)")
        #expect(r.stdout.contains("bedside.dcm: frontal, AP/PA uncertain (Distance Source to Detector says not PA (1000 mm)) p=0.98"), "\(r.stdout)")
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let bedside = try #require(results.images.first { $0.relativePath == "bedside.dcm" })
        #expect(bedside.view == nil && bedside.decision == "frontal-uncertain" && bedside.headerText == "Distance Source to Detector says not PA (1000 mm)")
        #expect(bedside.decisionReason?.hasSuffix("but Distance Source to Detector says not PA (1000 mm): a PA chest film is taken standing at a chest stand, 1500 mm or more from the tube") == true,
                "\(bedside.decisionReason ?? "")")
        // Tagged copies for the two PA films only; the withheld one's SR carries the reason and no view.
        for name in ["stand", "centimetres"] {
            #expect(try DICOMFile(path: out.appendingPathComponent("\(name).dcm").path).text("ViewPosition") == "PA", "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("bedside.dcm").path))
        let dsrdump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let dump = try Tool.run(dsrdump, ["+Pl", out.appendingPathComponent("bedside.sr.dcm").path]).stdout
        #expect(dump.contains("Distance Source to Detector says not PA (1000 mm)"), "\(dump)")
        #expect(!dump.contains("postero-anterior"), "\(dump)")
        // classify makes the same decision; inspect shows how the value is read.
        let classify = try CLI.run(["classify", input.appendingPathComponent("bedside.dcm").path, "--no-read-markers"])
        #expect(classify.stdout.contains("frontal, AP/PA uncertain"), "\(classify.stdout)")
        let inspect = try CLI.run(["inspect", input.appendingPathComponent("bedside.dcm").path, input.appendingPathComponent("centimetres.dcm").path,
                                   TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm")])
        #expect(inspect.stdout.contains("  DistanceSourceToDetector 1000 mm (short of a chest stand's: a PA view is withheld)\n"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("  DistanceSourceToDetector 180 mm (no chest film's distance: not weighed)\n"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("  DistanceSourceToDetector 1996 mm\n"), "\(inspect.stdout)")
    }
}
