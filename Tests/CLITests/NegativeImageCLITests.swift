import Foundation
import Preprocess
import TestSupport
import Testing

/// A negative image (bone dark, air bright) gets no view: a chest film exported as its negative, and a MONOCHROME1
/// CR whose Photometric Interpretation was rewritten to MONOCHROME2 (its header still says chest). Read as they
/// are, such films were given confident views, some wrong; their positives are classified as before.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct NegativeImageCLITests {
    /// A film whose negative stays within the content check's limit, so that only the negative check refuses it.
    static let film = TestPaths.viewData.appendingPathComponent("PA/000007-2.png").path
    static let mono1 = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")

    struct Decision: Decodable {
        var outcome: String
        var reason: String?
        var contentDistance: Double?
        var negativeContentDistance: Double?
    }
    struct Row: Decodable { var file: String; var decision: Decision }

    static func classify(_ paths: [String]) throws -> [String: Decision] {
        let r = try CLI.run(["classify", "--json", "--no-read-markers"] + paths)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONDecoder().decode([Row].self, from: Data(r.stdout.utf8))
        return Dictionary(uniqueKeysWithValues: rows.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.decision) })
    }

    @Test("a film saved as its negative and a MONOCHROME1 CR relabelled MONOCHROME2 are refused; their positives are not")
    func negativesRefused() throws {
        let dir = TestPaths.temporaryDirectory("negative")
        // The film's display values inverted, as an 8-bit PNG.
        let radiograph = try RadiographLoader.load(path: Self.film)
        let inverted = radiograph.pixels.map { UInt16((255 * (1 - $0)).rounded()) }
        let negativeFilm = dir.appendingPathComponent("film-negative.png").path
        _ = FileManager.default.createFile(atPath: negativeFilm, contents: Data(
            MinimalPNG.encode(width: radiograph.width, height: radiograph.height, bitDepth: 8, colorType: 0, samples: inverted)))
        // The CR's Photometric Interpretation rewritten: the stored values now display as the negative.
        let relabelled = dir.appendingPathComponent("mono1-as-mono2.dcm").path
        try FileManager.default.copyItem(atPath: Self.mono1, toPath: relabelled)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0028,0004)=MONOCHROME2", relabelled]).status == 0)

        let d = try Self.classify([Self.film, negativeFilm, Self.mono1, relabelled])
        for name in ["film-negative.png", "mono1-as-mono2.dcm"] {
            let decision = try #require(d[name])
            #expect(decision.outcome == "not-chest", "\(name): \(decision)")
            #expect(decision.reason?.hasPrefix("not a chest radiograph as stored: a negative image (bone dark)") == true, "\(name)")
            #expect(try #require(decision.negativeContentDistance) < #require(decision.contentDistance))
        }
        for name in ["000007-2.png", "chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"] {
            let decision = try #require(d[name])
            #expect(decision.outcome == "view", "\(name): \(decision)")
            #expect(try #require(decision.negativeContentDistance) > #require(decision.contentDistance))
        }
        // Each negative's distances are its positive's, swapped (the same pixels, inverted).
        let film = try #require(d["000007-2.png"]), negative = try #require(d["film-negative.png"])
        #expect(abs(try #require(negative.contentDistance) - #require(film.negativeContentDistance)) < 0.5)
        let cr = try #require(d["chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"]), crNegative = try #require(d["mono1-as-mono2.dcm"])
        #expect(abs(try #require(crNegative.contentDistance) - #require(cr.negativeContentDistance)) < 1e-6)
        #expect(abs(try #require(crNegative.negativeContentDistance) - #require(cr.contentDistance)) < 1e-6)

        // process skips the negative film and writes nothing for it.
        let out = TestPaths.temporaryDirectory("negative-out")
        let p = try CLI.run(["process", "--no-read-markers", relabelled, "--out", out.path, "--methods", "gradcam"])
        #expect(p.status == 0, "\(p.stderr)")
        let results = try String(contentsOf: out.appendingPathComponent("results.json"), encoding: .utf8)
        #expect(results.contains("a negative image (bone dark)"))
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".dcm") }
        #expect(written.isEmpty, "\(written)")
    }
}
