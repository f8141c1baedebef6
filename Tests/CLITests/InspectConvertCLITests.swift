import Foundation
import TestSupport
import Testing

/// The command line as a user meets it: output, exit codes (0 ok, 1 some files failed, 2 usage), errors.
struct CLITests {
    @Test("--help exits 0 and lists the commands")
    func help() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("inspect") && r.stdout.contains("convert"))
    }

    @Test("usage errors exit 2", arguments: [["inspect"], ["inspect", "--no-such-flag", "x"], ["no-such-command"]])
    func usage(arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 2, "\(arguments): \(r.status) \(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("a missing file: exit 1, one line naming it")
    func missing() throws {
        let r = try CLI.run(["inspect", "/nonexistent/x.dcm"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: /nonexistent/x.dcm: no such file\n")
    }

    @Test("a wrong path in any command is one line in the system's words, not Foundation's \"The operation could not be completed\"",
          arguments: [
            (["convert", "/nonexistent/x.png", "--out", "/tmp/cxr-never-written.dcm"], "error: /nonexistent/x.png: no such file\n", Int32(1)),
            (["convert", "/", "--out", "/tmp/cxr-never-written.dcm"], "error: /: is a directory\n", 1),
            (["classify", "/nonexistent", "--model", "/nonexistent/m.safetensors"], "error: /nonexistent/m.safetensors: no such file\n", 1),
            (["classify", "/nonexistent", "--model", "/"], "error: /: is a directory\n", 1),
          ])
    func wrongPaths(arguments: [String], stderr: String, status: Int32) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == status, "\(arguments): \(r.status)")
        #expect(r.stderr == stderr, "\(arguments)")
    }

    @Test("an output folder that cannot be made: the reason as the system gives it, exit 75 (worth retrying elsewhere)")
    func outputFolderNotMade() throws {
        let input = TestPaths.temporaryDirectory("empty-in")
        let file = TestPaths.temporaryDirectory("beside").appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let r = try CLI.run(["process", input.path, "--out", file.appendingPathComponent("out").path])
        #expect(r.status == 75)
        #expect(r.stderr.contains("error: \(file.path)/out: cannot create the output folder (Not a directory)"), "\(r.stderr)")
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct CLIDataTests {
    @Test("inspect --json reports size, decoder, photometric and tags")
    func inspectJSON() throws {
        let r = try CLI.run(["inspect", "--json", TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["width"] as? Int == 440)
        #expect(json["decoder"] as? String == "native")
        #expect(json["photometric"] as? String == "MONOCHROME1")
        #expect(json["invertedForDisplay"] as? Bool == true)
        #expect(json["storedMax"] as? Double == 979)
        let tags = json["tags"] as! [String: Any]
        #expect(tags["viewPosition"] as? String == "PA")
    }

    @Test("a batch goes on after a bad file, says what failed, exits 1; DCMTK stays quiet")
    func batchWithFailure() throws {
        let good = TestPaths.dicom("nonchest_CR_RG2_JLSL.dcm")
        let bad = TestPaths.dicom("edge/MR_truncated_pixeldata.dcm")
        let r = try CLI.run(["inspect", bad, good])
        #expect(r.status == 1)
        #expect(r.stdout.contains("DCMTK dcmjpls (CharLS)"))
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(lines.first?.hasPrefix("error: \(bad): truncated") == true)
        #expect(lines.last == "error: 1 of 2 files failed")
    }

    @Test("convert writes a DICOM that inspect reads back; the Secondary Capture carries no view (its IOD has none)")
    func convert() throws {
        let dir = TestPaths.temporaryDirectory("cli-convert")
        let out = dir.appendingPathComponent("x.dcm").path
        let jpeg = TestPaths.viewData.appendingPathComponent("L/000005-5-b.jpg").path
        let r = try CLI.run(["convert", jpeg, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let i = try CLI.run(["inspect", "--json", out])
        let parsed = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8))
        let json = try #require((parsed as? [String: Any]) ?? (parsed as? [[String: Any]])?.first, "\(i.stdout)")
        #expect((json["tags"] as? [String: Any])?["viewPosition"] == nil)
        #expect(json["width"] as? Int == 325)
        // --view is gone: the SC IOD defines no view attributes.
        #expect(try CLI.run(["convert", jpeg, "--out", out, "--view", "LL"]).status == 2)
    }
}
