import Foundation
import Preprocess
import TestSupport
import Testing

/// A negative image (bone dark, air bright) gets a view only when its inverse is given the same one: a chest film
/// exported as its negative, and a MONOCHROME1 CR whose Photometric Interpretation was rewritten to MONOCHROME2
/// (its header still says chest). Read as it is, the negative of PA/covid-19-pneumonia-34 was called AP at 0.93
/// (its positive: frontal, AP/PA uncertain).
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct NegativeImageCLITests {
    static let films = ["PA/covid-19-pneumonia-34.png", "PA/000007-2.png"].map { TestPaths.viewData.appendingPathComponent($0).path }
    static let mono1 = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")

    struct Decision: Decodable {
        var outcome: String
        var view: View?
        var reason: String?
        var contentDistance: Double?
        var negativeContentDistance: Double?
        struct View: Decodable { var name: String }
    }
    struct Row: Decodable { var file: String; var decision: Decision }

    static func classify(_ paths: [String]) throws -> [String: Decision] {
        let r = try CLI.run(["classify", "--json", "--no-read-markers"] + paths)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONDecoder().decode([Row].self, from: Data(r.stdout.utf8))
        return Dictionary(uniqueKeysWithValues: rows.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.decision) })
    }

    /// The film's display values inverted, as an 8-bit PNG.
    static func negativePNG(of path: String, in dir: URL) throws -> String {
        let radiograph = try RadiographLoader.load(path: path)
        let inverted = radiograph.pixels.map { UInt16((255 * (1 - $0)).rounded()) }
        let out = dir.appendingPathComponent("negative-" + URL(fileURLWithPath: path).lastPathComponent).path
        _ = FileManager.default.createFile(atPath: out, contents: Data(
            MinimalPNG.encode(width: radiograph.width, height: radiograph.height, bitDepth: 8, colorType: 0, samples: inverted)))
        return out
    }

    @Test("negatives lie farther from the training films than their inverses, and get no view their inverse is not given")
    func negatives() throws {
        let dir = TestPaths.temporaryDirectory("negative")
        let negatives = try Self.films.map { try Self.negativePNG(of: $0, in: dir) }
        // The CR's Photometric Interpretation rewritten: the stored values now display as the negative.
        let relabelled = dir.appendingPathComponent("mono1-as-mono2.dcm").path
        try FileManager.default.copyItem(atPath: Self.mono1, toPath: relabelled)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0028,0004)=MONOCHROME2", relabelled]).status == 0)

        let d = try Self.classify(Self.films + negatives + [Self.mono1, relabelled])
        let pairs = zip(Self.films + [Self.mono1], negatives + [relabelled]).map {
            (URL(fileURLWithPath: $0.0).lastPathComponent, URL(fileURLWithPath: $0.1).lastPathComponent)
        }
        for (positiveName, negativeName) in pairs {
            let positive = try #require(d[positiveName]), negative = try #require(d[negativeName])
            #expect(try #require(negative.negativeContentDistance) < #require(negative.contentDistance), "\(negativeName)")
            #expect(try #require(positive.negativeContentDistance) > #require(positive.contentDistance), "\(positiveName)")
            if negative.outcome == "view" { #expect(negative.view?.name == positive.view?.name, "\(negativeName)") }
        }
        // The one whose negative was given a wrong view.
        let wrongAsRead = try #require(d["negative-covid-19-pneumonia-34.png"])
        #expect(wrongAsRead.outcome == "uncertain" && wrongAsRead.view == nil)
        #expect(wrongAsRead.reason?.hasPrefix("AP at p 0.9") == true, "\(wrongAsRead)")
        #expect(wrongAsRead.reason?.contains("but this may be a negative image (bone dark)") == true)
        #expect(wrongAsRead.reason?.hasSuffix("and is read as frontal, AP/PA uncertain") == true)
        #expect(try #require(d["covid-19-pneumonia-34.png"]).outcome == "frontal-uncertain")
        // The relabelled CR's distances are its original's, swapped (the same pixels, shown inverted), up to the
        // rounding of forming the negative from the resampled image (coverage − gray, not 1 − v per pixel).
        let cr = try #require(d["chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"]), crNegative = try #require(d["mono1-as-mono2.dcm"])
        #expect(abs(try #require(crNegative.contentDistance) - #require(cr.negativeContentDistance)) < 1e-3)
        #expect(abs(try #require(crNegative.negativeContentDistance) - #require(cr.contentDistance)) < 1e-3)
    }
}
