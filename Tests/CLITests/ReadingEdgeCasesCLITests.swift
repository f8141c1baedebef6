import Foundation
import Preprocess
import TestSupport
import Testing

/// Inputs that are DICOM in unusual ways, and files that are not images: each is processed or listed with
/// its reason, and every line names the file.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct ReadingEdgeCasesCLITests {
    @Test("no preamble or meta header: read as DCMTK reads it; an invalid source UID is carried with a warning; a missing Transfer Syntax UID says so; a file named .dcm/.png that is no image fails; other files are listed as skipped")
    func edgeCases() throws {
        let input = TestPaths.temporaryDirectory("edge-in"), out = TestPaths.temporaryDirectory("edge-out")
        let mono1 = ProcessCLITests.mono1
        let dcmconv = try #require(Tool.find("dcmconv"), "dcmconv (dcmtk) is needed")
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        #expect(try Tool.run(dcmconv, ["-F", "+te", mono1, input.appendingPathComponent("no_file_meta").path]).status == 0)
        let badUID = input.appendingPathComponent("bad-uid.dcm").path
        try FileManager.default.copyItem(atPath: mono1, toPath: badUID)
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0008,0018)=999.999.01.23", badUID]).status == 0)
        try Data("a note\n".utf8).write(to: input.appendingPathComponent("notes.txt"))
        // Files whose names claim an image but whose bytes are none: damaged images, failures.
        try Data().write(to: input.appendingPathComponent("empty.dcm"))
        try Data("a note\n".utf8).write(to: input.appendingPathComponent("text.png"))
        try Data().write(to: input.appendingPathComponent("empty"))
        var noSyntax: String?
        if let python = Tool.python, Tool.pydicomAvailable {
            // A meta header without (0002,0010) before JPEG-LS pixel data: nothing can tell how to decode it.
            let path = input.appendingPathComponent("no-syntax.dcm").path
            let script = "import pydicom,sys; ds=pydicom.dcmread(sys.argv[1]); del ds.file_meta.TransferSyntaxUID; ds.save_as(sys.argv[2], enforce_file_format=False)"
            #expect(try Tool.run(python, ["-c", script, ProcessCLITests.rg1, path]).status == 0)
            noSyntax = path
            // The same JPEG-LS data said to be High-Throughput JPEG 2000, which the linked DCMTK does not know:
            // refused by name, not read as if the fragments were pixels.
            let htj2k = input.appendingPathComponent("htj2k.dcm").path
            let relabel = "import pydicom,sys; ds=pydicom.dcmread(sys.argv[1]); ds.file_meta.TransferSyntaxUID='1.2.840.10008.1.2.4.201'; ds.save_as(sys.argv[2], enforce_file_format=False)"
            #expect(try Tool.run(python, ["-c", relabel, ProcessCLITests.rg1, htj2k]).status == 0)
        }
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        let lines = r.stdout.split(separator: "\n").map(String.init) + r.stderr.split(separator: "\n").map(String.init)
        func line(_ name: String) -> String { lines.first { $0.contains("] \(name):") } ?? "" }
        #expect(line("no_file_meta").contains("PA p="), "\(r.stdout)")
        #expect(line("bad-uid.dcm").contains("PA p=") && line("bad-uid.dcm").contains("warning: the source's SOPInstanceUID is not a valid UID"), "\(r.stdout)")
        #expect(line("notes.txt").contains("skipped: not an image: neither DICOM, PNG nor JPEG"), "\(r.stdout)")
        #expect(line("empty").contains("skipped: not an image: an empty file"), "\(r.stdout)")
        #expect(line("empty.dcm").contains("failed: \(input.path)/empty.dcm: named .dcm but an empty file"), "\(r.stdout)")
        #expect(line("text.png").contains("failed: \(input.path)/text.png: named .png but neither DICOM, PNG nor JPEG"), "\(r.stdout)")
        #expect(r.stderr.contains("empty.dcm: named .dcm but an empty file"), "\(r.stderr)")
        // The SR of the bad-UID source references it by exactly its UID.
        let sr = try DICOMFile(path: out.appendingPathComponent("bad-uid.sr.dcm").path)
        #expect(sr.text("CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID") == "999.999.01.23")
        if noSyntax != nil {
            #expect(line("no-syntax.dcm").contains("failed: ") && line("no-syntax.dcm").contains("no Transfer Syntax UID (0002,0010)"), "\(r.stdout)")
            #expect(r.status == 1)
            #expect(r.stderr.contains("no-syntax.dcm"))
            #expect(line("htj2k.dcm").contains("failed: \(input.path)/htj2k.dcm: unsupported transfer syntax 1.2.840.10008.1.2.4.201 (High-Throughput JPEG 2000, lossless only)"), "\(r.stdout)")
        }
        #expect(r.status == 1, "\(r.stderr)")
    }

    @Test("what the walk could not read, and what it left out, is in report.html and results.json, not only on the terminal")
    func walkInTheReport() throws {
        let fm = FileManager.default
        let input = TestPaths.temporaryDirectory("walk-in"), out = TestPaths.temporaryDirectory("walk-out")
        try Data("a note\n".utf8).write(to: input.appendingPathComponent("notes.txt"))
        try fm.createSymbolicLink(atPath: input.appendingPathComponent("gone.dcm").path, withDestinationPath: "/no/such/file.dcm")
        let plain = try CLI.run(["process", input.path, "--out", out.appendingPathComponent("plain").path, "--methods", "gradcam"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let note = "not followed: 1 symbolic link (\(input.path)/gone.dcm); --follow-links follows them"
        #expect(plain.stdout.contains(note), "\(plain.stdout)")
        let plainHTML = try String(contentsOf: out.appendingPathComponent("plain/report.html"), encoding: .utf8)
        #expect(plainHTML.contains("Left out of the walk:<ul><li>\(note)</li></ul>") && !plainHTML.contains("Not read"), "\(plainHTML)")

        let followed = try CLI.run(["process", input.path, "--out", out.appendingPathComponent("followed").path, "--methods", "gradcam", "--follow-links"])
        let error = "\(input.path)/gone.dcm: a symbolic link to /no/such/file.dcm, which does not exist"
        #expect(followed.status == 1 && followed.stderr.contains(error), "\(followed.stderr)")
        #expect(followed.stdout.contains("0 disagree with the header, 0 failed, 1 not read\n"), "\(followed.stdout)")
        #expect(plain.stdout.contains("0 disagree with the header, 0 failed\n"), "\(plain.stdout)")
        let html = try String(contentsOf: out.appendingPathComponent("followed/report.html"), encoding: .utf8)
        #expect(html.contains("<b>Not read (1):</b><ul><li>\(error)</li></ul>"), "\(html)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("followed/results.json"))) as! [String: Any]
        let parameters = json["parameters"] as! [String: Any]
        #expect(parameters["walkErrors"] as? [String] == [error] && parameters["walkNotes"] as? [String] == [])
        // `report` rebuilds the same from the run's records and parameters.
        #expect(try CLI.run(["report", out.appendingPathComponent("followed").path]).status == 0)
        #expect(try String(contentsOf: out.appendingPathComponent("followed/report.html"), encoding: .utf8).contains("<b>Not read (1):</b>"))
    }

    @Test("a DICOM folder with its DICOMDIR (as on a CD): the index is skipped as no image, the images are processed")
    func dicomdir() throws {
        let dcmmkdir = try #require(Tool.find("dcmmkdir"), "dcmmkdir (dcmtk) is needed")
        let input = TestPaths.temporaryDirectory("dicomdir-in"), out = TestPaths.temporaryDirectory("dicomdir-out")
        try FileManager.default.createDirectory(at: input.appendingPathComponent("IMAGES"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ProcessCLITests.mono1, toPath: input.appendingPathComponent("IMAGES/IM1").path)
        // +I invents the Series Number and the like that the directory records need and the file lacks.
        let made = try Tool.run(dcmmkdir, ["--recurse", "+I", "+D", input.appendingPathComponent("DICOMDIR").path,
                                           "+id", input.path, "IMAGES"])
        #expect(made.status == 0, "\(made.stderr)")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("] DICOMDIR: skipped: not an image: a DICOMDIR (the index of a DICOM folder)"), "\(r.stdout)")
        #expect(r.stdout.contains("] IMAGES/IM1: PA p="), "\(r.stdout)")
    }

    @Test("pixels twice as tall as wide (Pixel Spacing or Pixel Aspect Ratio) are seen and written in the patient's proportions")
    func nonSquarePixels() throws {
        let input = TestPaths.temporaryDirectory("aspect-in"), out = TestPaths.temporaryDirectory("aspect-out")
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        // The 440 × 440 MONOCHROME1 film (uncompressed, its pixel data the file's last bytes) with each pair of rows
        // averaged: 440 × 220, as a detector with pixels 0.2 mm tall and 0.1 mm wide would have stored it.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ProcessCLITests.mono1))
        let side = 440
        let pixels = [UInt8](bytes.suffix(side * side * 2))
        func stored(_ i: Int) -> UInt32 { UInt32(pixels[2 * i]) | UInt32(pixels[2 * i + 1]) << 8 }
        var halfRows = [UInt8]()
        for y in 0..<(side / 2) {
            for x in 0..<side {
                let mean: UInt32 = (stored(2 * y * side + x) + stored((2 * y + 1) * side + x) + 1) / 2
                halfRows += [UInt8(mean & 0xFF), UInt8(mean >> 8)]
            }
        }
        let raw = input.appendingPathComponent("rows.raw")
        try Data(halfRows).write(to: raw)
        let variants = [("spacing.dcm", ["-i", "(0028,0030)=0.2\\0.1"]), ("aspect-ratio.dcm", ["-i", "(0028,0034)=2\\1"]), ("square.dcm", [])]
        for (name, extra) in variants {
            let path = input.appendingPathComponent(name).path
            try FileManager.default.copyItem(atPath: ProcessCLITests.mono1, toPath: path)
            #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0028,0010)=220", "-mf", "(7fe0,0010)=\(raw.path)", "-gin"] + extra + [path]).status == 0)
        }
        try FileManager.default.removeItem(at: raw)
        let inspect = try CLI.run(["inspect", input.appendingPathComponent("spacing.dcm").path])
        #expect(inspect.stdout.contains("size          440 x 220, 10 bits; pixels 2 times as tall as wide, seen in the patient's proportions"),
                "\(inspect.stdout)")
        let c = try CLI.run(["classify", input.path, ProcessCLITests.mono1, "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let decisions = try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as! [[String: Any]]
        let byName = Dictionary(uniqueKeysWithValues: decisions.map { (($0["file"] as! NSString).lastPathComponent, $0["decision"] as! [String: Any]) })
        func value(_ name: String, _ key: String) -> Double { byName[name]?[key] as? Double ?? .nan }
        // Both ways of saying it give the same input, near the upright film's; read as square pixels it is squashed.
        #expect(value("spacing.dcm", "probability") == value("aspect-ratio.dcm", "probability"))
        #expect(value("spacing.dcm", "contentDistance") == value("aspect-ratio.dcm", "contentDistance"))
        let original = value("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm", "contentDistance")
        #expect(abs(value("spacing.dcm", "contentDistance") - original) < 1.5, "\(byName)")
        #expect(value("square.dcm", "contentDistance") > value("spacing.dcm", "contentDistance") + 3, "\(byName)")
        #expect(byName["spacing.dcm"]?["outcome"] as? String == "view")

        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let dcmdump = try #require(Tool.find("dcmdump"), "dcmdump (dcmtk) is needed")
        func tag(_ file: String, _ keyword: String) throws -> String {
            let d = try Tool.run(dcmdump, ["+P", keyword, out.appendingPathComponent(file).path])
            return d.stdout.split(separator: "[").dropFirst().first.map { String($0.prefix { $0 != "]" }) }
                ?? d.stdout.split(separator: " ").dropFirst(2).first.map(String.init) ?? ""
        }
        // The captures are square in pixels as the patient is; the map's spacing is the same both ways.
        for name in ["spacing.gradcam.gray.dcm", "spacing.gradcam.rgb.dcm", "spacing.gradcam.pmap.dcm"] {
            #expect(try tag(name, "Rows") == "440" && tag(name, "Columns") == "440", "\(name)")
            if let (status, errors) = try DICOMChecks.dciodvfy(out.appendingPathComponent(name).path) {
                #expect(status == 0 && errors.isEmpty, "\(name): \(errors)")
            }
        }
        #expect(try tag("spacing.gradcam.pmap.dcm", "PixelSpacing") == "0.1\\0.1")
        #expect(try tag("square.gradcam.gray.dcm", "Rows") == "220")
    }
}
