import Foundation
import Preprocess
import TestSupport
import Testing

/// The SR `process` writes per image is a TID 1500 Imaging Measurement Report that DCMTK and highdicom read
/// back: the view as a CID 4010 code (or "Indeterminate"), the probability as a NUM, the algorithm as device
/// observer and TID 4019, every explanation image referenced; standard codes only.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct MeasurementReportTests {
    static let highdicomScript = """
    import sys, highdicom as hd
    from highdicom.sr import srread
    sr = srread(sys.argv[1])
    groups = sr.content.get_image_measurement_groups()
    g = groups[0]
    m = g.get_measurements()[0]
    views = [q.value for q in g.get_qualitative_evaluations() if q.name.value == "111031"]
    print(type(sr).__name__, len(groups), m.name.value, m.value, views[0].value, views[0].scheme_designator, g.tracking_uid)
    """

    @Test("TID 1500: DCMTK renders it, highdicom parses its measurement group, the view is SNOMED CT, no private scheme, every SC referenced")
    func certainView() throws {
        let input = TestPaths.temporaryDirectory("tid1500-in"), out = TestPaths.temporaryDirectory("tid1500-out")
        try FileManager.default.copyItem(atPath: ProcessCLITests.mono1, toPath: input.appendingPathComponent("chest.dcm").path)
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "lime", "--samples", "20"])
        #expect(r.status == 0, "\(r.stderr)")
        let sr = out.appendingPathComponent("chest.sr.dcm").path
        let dump = try #require(Tool.find("dsrdump"), "dsrdump (dcmtk) is needed")
        let tree = try Tool.run(dump, ["-q", sr])
        #expect(tree.status == 0, "\(tree.stderr)")
        for line in ["(,,\"Imaging Measurement Report\")", "(121007,DCM,\"Device\")", "(399208008,SCT,\"Plain chest X-ray\")",
                     "CONTAINER:(,,\"Image Library\")", "CONTAINER:(,,\"Measurement Group\")", "NUM:(,,\"Probability\")",
                     "(123110,DCM,\"Artificial Intelligence\")", "TEXT:(,,\"Algorithm Name\")",
                     "CODE:(,,\"Image View\")=(272479007,SCT,\"postero-anterior\")", "inferred from IMAGE:(,,\"Source of Measurement\")"] {
            #expect(tree.stdout.contains(line), "missing \(line)\n\(tree.stdout)")
        }
        #expect(tree.stdout.components(separatedBy: "\"Illustration of ROI\"").count - 1 == 6, "two SCs and a Parametric Map per method")
        let codes = try Tool.run("dcmdump", ["+L", "-q", sr]).stdout
        #expect(!codes.contains("[99"), "a private coding scheme")
        for sc in try FileManager.default.contentsOfDirectory(atPath: out.path) where sc.hasSuffix(".gray.dcm") || sc.hasSuffix(".rgb.dcm") || sc.hasSuffix(".pmap.dcm") {
            let uid = try #require(try DICOMFile(path: out.appendingPathComponent(sc).path).text("SOPInstanceUID"))
            #expect(codes.components(separatedBy: uid).count - 1 >= 2, "\(sc): not referenced in both the content and the evidence")
        }
        let report = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        // The cards are JSON strings in the page ("/" written as "\/").
        #expect(report.contains(#"chest.sr.dcm\">SR<\/a>"#), "the report does not link the image's SR")
        if let html = Tool.find("dsr2html") {
            let rendered = try Tool.run(html, ["-q", sr])
            #expect(rendered.status == 0 && rendered.stdout.contains("Imaging Measurement Report"), "\(rendered.stderr)")
        }
        if let v = try DICOMChecks.dciodvfy(sr) { #expect(v.errors.isEmpty, "\(v.errors)") }
        if let python = Tool.python, (try? Tool.run(python, ["-c", "import highdicom"]).status) == 0 {
            let parsed = try Tool.run(python, ["-c", Self.highdicomScript, sr])
            #expect(parsed.status == 0, "\(parsed.stderr)")
            let fields = parsed.stdout.split(separator: " ").map(String.init)
            #expect(fields.count == 7 && fields[0] == "ComprehensiveSR" && fields[1] == "1" && fields[2] == "122157", "\(parsed.stdout)")
            #expect(fields.count == 7 && fields[4] == "272479007" && fields[5] == "SCT", "\(parsed.stdout)")
            #expect(fields.count == 7 && (Double(fields[3]) ?? 2) < 1, "the probability is written as 1: \(parsed.stdout)")
        } else {
            #expect(!Tool.required, "highdicom is needed in CI")
        }
    }

    @Test("an undecided view is (82334004, SCT, Indeterminate) with the decision in words")
    func indeterminate() throws {
        let input = TestPaths.temporaryDirectory("tid1500-u-in"), out = TestPaths.temporaryDirectory("tid1500-u-out")
        try FileManager.default.copyItem(atPath: ProcessCLITests.mono1, toPath: input.appendingPathComponent("chest.dcm").path)
        // A threshold no probability reaches: nothing is certain.
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--threshold", "0.99999"])
        #expect(r.status == 0, "\(r.stderr)")
        let tree = try Tool.run("dsrdump", ["-q", out.appendingPathComponent("chest.sr.dcm").path]).stdout
        #expect(tree.contains("CODE:(,,\"Image View\")=(82334004,SCT,\"Indeterminate\")"), "\(tree)")
        #expect(tree.contains("TEXT:(,,\"Comment\")=\"frontal, AP/PA uncertain") || tree.contains("TEXT:(,,\"Comment\")=\"uncertain"), "\(tree)")
    }
}
