import Foundation
import Preprocess
import TestSupport
import Testing

/// A chest film stored turned (on its side, upside down) gets no view: with a header that vouches for a chest
/// film it is "uncertain" and the turn that would set it upright is named; as a PNG it is refused with that turn
/// as the reason. The upright film beside them keeps its view.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct TurnedFilmCLITests {
    /// The 440 × 440 MONOCHROME1 chest CR (uncompressed, its pixel data the file's last bytes), header view PA.
    static let film = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")

    /// `values` (side², row-major) turned a quarter turn counter-clockwise `times` times.
    static func turnedCounterClockwise<T>(_ values: [T], side: Int, times: Int) -> [T] {
        var out = values
        for _ in 0..<times {
            let source = out
            for y in 0..<side { for x in 0..<side { out[y * side + x] = source[x * side + (side - 1 - y)] } }
        }
        return out
    }

    static func makeTree() throws -> URL {
        let root = TestPaths.temporaryDirectory("turned-in")
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: film))
        let side = 440, pixelBytes = side * side * 2
        let header = bytes.prefix(bytes.count - pixelBytes)
        let pixels = Array(bytes.suffix(pixelBytes))
        let samples = (0..<(side * side)).map { [pixels[2 * $0], pixels[2 * $0 + 1]] }
        try bytes.write(to: root.appendingPathComponent("upright.dcm"))
        for times in [1, 2] {
            let path = root.appendingPathComponent("ccw\(90 * times).dcm").path
            try (header + Data(turnedCounterClockwise(samples, side: side, times: times).flatMap { $0 })).write(to: URL(fileURLWithPath: path))
            // No view in the header (so one would be written) and an instance UID of its own.
            #expect(try Tool.run(dcmodify, ["-nb", "-ea", "(0018,5101)", "-gin", path]).status == 0)
        }
        // The same film as an 8-bit PNG, turned a quarter turn counter-clockwise: nothing in it says it is a chest film.
        let shown = try RadiographLoader.load(path: film)
        let gray = shown.pixels.map { UInt16(($0 * 255).rounded()) }
        _ = FileManager.default.createFile(atPath: root.appendingPathComponent("ccw90-picture.png").path, contents: Data(
            MinimalPNG.encode(width: side, height: side, bitDepth: 8, colorType: 0, samples: turnedCounterClockwise(gray, side: side, times: 1))))
        return root
    }

    struct Results: Decodable {
        struct Image: Decodable {
            var relativePath: String; var status: String; var decision: String?; var view: String?; var turnToUpright: Int?
            var skipReason: String?; var decisionReason: String?; var headerAction: String?
        }
        var images: [Image]
    }

    @Test("process and classify: the turned films get no view and the turn that sets them upright; the upright film its PA")
    func turnedFilmsGetNoView() throws {
        let input = try Self.makeTree()
        let out = TestPaths.temporaryDirectory("turned-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--no-read-markers"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let byName = Dictionary(uniqueKeysWithValues: results.images.map { ($0.relativePath, $0) })
        #expect(byName["upright.dcm"]?.view == "PA" && byName["upright.dcm"]?.turnToUpright == nil)
        for (name, turn) in [("ccw90.dcm", 90), ("ccw180.dcm", 180)] {
            let image = try #require(byName[name])
            #expect(image.status == "done" && image.decision == "uncertain" && image.view == nil && image.turnToUpright == turn, "\(name): \(image)")
            #expect(image.decisionReason?.hasPrefix("the film looks stored turned: turned \(turn) degrees clockwise it lies nearer the training films") == true,
                    "\(image.decisionReason ?? "")")
            #expect(image.headerAction != "written", "\(name): \(image.headerAction ?? "")")
            #expect(r.stdout.contains("\(name): uncertain (") && r.stdout.contains("(looks stored turned: \(turn) degrees clockwise sets it upright)"), "\(r.stdout)")
        }
        // The SR says why in its comment, in the default repertoire (a degree sign would make it invalid DICOM).
        let dsrdump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let sr = try Tool.run(dsrdump, ["+Pl", out.appendingPathComponent("ccw90.sr.dcm").path])
        #expect(sr.status == 0 && sr.stdout.contains("uncertain: the film looks stored turned: turned 90 degrees clockwise"), "\(sr.stdout)\n\(sr.stderr)")
        if let (status, errors) = try DICOMChecks.dciodvfy(out.appendingPathComponent("ccw90.sr.dcm").path) {
            #expect(status == 0 && errors.isEmpty, "\(errors)")
        }
        let png = try #require(byName["ccw90-picture.png"])
        #expect(png.status == "skipped" && png.turnToUpright == 90, "\(png)")
        #expect(png.skipReason?.hasPrefix("not a chest radiograph as stored (content distance ") == true
                && png.skipReason?.contains("), but turned 90 degrees clockwise it lies within the limit (") == true
                && png.skipReason?.hasSuffix("): if it is a chest film stored turned, turn it upright and run it again") == true, "\(png.skipReason ?? "")")
        // No tagged copy of a turned film: no view was written anywhere.
        for name in ["ccw90.dcm", "ccw180.dcm"] {
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "a tagged copy of \(name)")
        }

        let c = try CLI.run(["classify", input.path, "--json", "--no-read-markers"])
        #expect(c.status == 0 && c.stderr.contains("classify: 4/4 "), "\(c.stderr)")
        let decisions = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [[String: Any]]
        let turns = Dictionary(uniqueKeysWithValues: decisions.map { (($0["file"] as! NSString).lastPathComponent,
                                                                       ($0["decision"] as! [String: Any])["turnToUpright"] as? Int ?? 0) })
        #expect(turns == ["upright.dcm": 0, "ccw90.dcm": 90, "ccw180.dcm": 180, "ccw90-picture.png": 90], "\(turns)")
    }
}
