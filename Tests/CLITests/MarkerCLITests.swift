import Foundation
import Markers
import Preprocess
import TestSupport
import Testing

/// A development AP film with a burned-in "AP ERECT" label that the shipped model leaves "frontal, AP/PA
/// uncertain": read, the marker makes it AP in the console, results.json/csv, the report and the SR; with
/// --no-read-markers it stays uncertain.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && BurnedInText.isAvailable, "needs ../shared/data and Tesseract"), .serialized)
struct MarkerCLITests {
    static let film = TestPaths.viewData.appendingPathComponent("AP/covid-19-pneumonia-49-day4.jpg").path

    struct Results: Decodable {
        struct Image: Decodable { var relativePath: String; var decision: String?; var view: String?; var marker: String?; var mostLikely: String? }
        var images: [Image]
    }

    @Test("process and classify: the marker decides AP, and every output says so; off, the film stays uncertain")
    func markerDecides() throws {
        let input = TestPaths.temporaryDirectory("marker-in")
        try FileManager.default.copyItem(atPath: Self.film, toPath: input.appendingPathComponent("film.jpg").path)
        // The same film as a Secondary Capture, so that an SR is written for it too.
        #expect(try CLI.run(["convert", Self.film, "--out", input.appendingPathComponent("film.dcm").path]).status == 0)
        let out = TestPaths.temporaryDirectory("marker-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("film.jpg: AP (burned-in AP ERECT marker) p=0.6"), "\(r.stdout)")
        #expect(!r.stderr.contains("Error in"), "Leptonica's messages reach stderr: \(r.stderr)")
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        #expect(results.images.count == 2)
        for image in results.images {
            #expect(image.view == "AP" && image.decision == "view" && image.marker == "AP ERECT", "\(image)")
        }
        let csv = try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8)
        #expect(csv.contains("from a burned-in AP ERECT marker on a surely frontal film"), "\(csv)")
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("AP from a burned-in AP ERECT marker"))
        #expect(html.contains("read with Tesseract on surely frontal films the network does not call AP"))
        // The SR says what decided the view, not only the network's sub-threshold probability.
        let sr = try #require(FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String }.first { $0.hasSuffix(".sr.dcm") })
        let dsrdump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let dump = try Tool.run(dsrdump, ["+Pl", out.appendingPathComponent(sr).path]).stdout
        #expect(dump.contains("AP: from a burned-in AP ERECT marker on a surely frontal film"), "\(dump)")
        #expect(dump.contains("antero-posterior"), "\(dump)")

        let off = TestPaths.temporaryDirectory("marker-off")
        let plain = try CLI.run(["process", input.path, "--out", off.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(plain.status == 0)
        let plainResults = try JSONDecoder().decode(Results.self, from: Data(contentsOf: off.appendingPathComponent("results.json")))
        for image in plainResults.images { #expect(image.view == nil && image.decision == "frontal-uncertain" && image.marker == nil, "\(image)") }
        #expect(try String(contentsOf: off.appendingPathComponent("report.html"), encoding: .utf8).contains("not read (--no-read-markers)"))

        let classify = try CLI.run(["classify", Self.film])
        #expect(classify.stdout.contains("\tAP (burned-in AP ERECT marker)\t0.6"), "\(classify.stdout)")
        let classifyOff = try CLI.run(["classify", "--no-read-markers", Self.film])
        #expect(classifyOff.stdout.contains("\tfrontal, AP/PA uncertain\t"), "\(classifyOff.stdout)")
    }

    @Test("classify: a PA ERECT or lone PA label makes a PA film the model leaves AP/PA uncertain PA; inspect names it as saying PA")
    func paMarkerDecides() throws {
        let film = TestPaths.viewData.appendingPathComponent("PA/14d81f378173b86cc53f21d2d67040_jumbo.jpeg").path
        let read = try CLI.run(["classify", film])
        #expect(read.stdout.contains("\tPA (burned-in PA ERECT marker)\t"), "\(read.stdout)")
        #expect(try CLI.run(["classify", "--no-read-markers", film]).stdout.contains("\tfrontal, AP/PA uncertain\t"))
        let inspect = try CLI.run(["inspect", "--text", film])
        #expect(inspect.stdout.contains("  marker        PA ERECT (says PA)"), "\(inspect.stdout)")
        // A lone "PA" label that Tesseract reads with confidence decides as well.
        let lone = TestPaths.viewData.appendingPathComponent("PA/1e64990d1b40c1758a2aaa9c7f7a85_jumbo.jpeg").path
        #expect(try CLI.run(["classify", lone]).stdout.contains("\tPA (burned-in PA marker)\t"))
        #expect(try CLI.run(["classify", "--no-read-markers", lone]).stdout.contains("\tfrontal, AP/PA uncertain\t"))
        #expect(try CLI.run(["inspect", "--text", lone]).stdout.contains("  marker        PA (says PA)"))
    }

    @Test("inspect --text shows both readings; a marker only the brightest pixels show is named, in text and JSON")
    func inspectShowsBothReadings() throws {
        let film = TestPaths.viewData.appendingPathComponent("AP/61bc50d1.jpg").path
        let text = try CLI.run(["inspect", "--text", film])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let brightest = try #require(lines.first { $0.hasPrefix("brightest ") }, "\(text.stdout)")
        #expect(brightest.lowercased().contains("liegend"))
        #expect(lines.contains("marker        LIEGEND (says AP)"), "\(text.stdout)")
        struct Report: Decodable { var burnedInText: String?; var burnedInBrightest: String?; var marker: String? }
        let json = try CLI.run(["inspect", "--text", "--json", film])
        // One file: one object (several: an array).
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        #expect(report.marker == "LIEGEND" && report.burnedInText != nil)
        #expect(report.burnedInBrightest?.lowercased().contains("liegend") == true)
    }
}
