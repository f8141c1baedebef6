import Foundation
import Preprocess
import TestSupport
import Testing

/// A run killed (SIGKILL) at several points and restarted ends with the same outputs as an uninterrupted
/// run, no temporary files, and untouched inputs.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct ProcessResumeTests {
    static let arguments = ["--methods", "gradcam", "lime", "--samples", "24"]

    @Test("an output folder holds one set of inputs' results: another set is refused (their outputs share names), the same inputs resume")
    func otherInputsRefused() throws {
        let fm = FileManager.default
        let root = TestPaths.temporaryDirectory("two-sets")
        for set in ["A", "B"] {
            try fm.createDirectory(at: root.appendingPathComponent(set), withIntermediateDirectories: true)
            // The same name in both: B's outputs would overwrite A's.
            try fm.copyItem(atPath: TestPaths.viewData.appendingPathComponent(set == "A" ? "L/000002-3.png" : "PA/000001-19.jpg").path,
                            toPath: root.appendingPathComponent("\(set)/film.png").path)
        }
        let out = root.appendingPathComponent("out").path, a = root.appendingPathComponent("A").path
        #expect(try CLI.run(["process", a, "--out", out, "--methods", "gradcam"]).status == 0)
        let sr = try Digest.sha256Hex(ofFileAt: out + "/film.sr.dcm")
        let other = try CLI.run(["process", root.appendingPathComponent("B").path, "--out", out, "--methods", "gradcam"])
        #expect(other.status == 2)
        #expect(other.stderr.contains("--out \(out) holds the results of other inputs (\(a)); give the same inputs to resume or extend that run, or choose another folder"), "\(other.stderr)")
        #expect(try Digest.sha256Hex(ofFileAt: out + "/film.sr.dcm") == sr, "A's outputs were touched")
        // The same inputs, given as another spelling of the same path, resume.
        let again = try CLI.run(["process", root.appendingPathComponent("./A/").path, "--out", out, "--methods", "gradcam"])
        #expect(again.status == 0, "\(again.stderr)")
    }

    static func makeInputs() throws -> URL {
        let root = TestPaths.temporaryDirectory("resume-in")
        let sources = [TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm"), TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"),
                       TestPaths.viewData.appendingPathComponent("L/000002-3.png").path,
                       TestPaths.viewData.appendingPathComponent("PA/000001-19.jpg").path]
        for (i, s) in sources.enumerated() {
            let study = root.appendingPathComponent("study\(i % 2)")
            try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: s, toPath: study.appendingPathComponent("\(i)-" + (s as NSString).lastPathComponent).path)
        }
        return root
    }

    /// Outputs by relative path → SHA-256, without the run's timings (results.json, records); report.html
    /// names the output folder, so it is compared with that path replaced.
    static func outputs(_ root: URL) throws -> [String: String] {
        var d = try ProcessCLITests.digests(root).filter { !$0.key.hasPrefix(".cxr-explain") && $0.key != "results.json" }
        let report = try String(contentsOf: root.appendingPathComponent("report.html"), encoding: .utf8)
            .replacingOccurrences(of: root.path, with: "OUT")
        d["report.html"] = Digest.hex(Digest.sha256(Array(report.utf8)))
        return d
    }

    static func records(_ out: URL) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(".cxr-explain/records").path)
            .filter { $0.hasSuffix(".json") }.count) ?? 0
    }

    @Test("SIGKILL after 0, 1 and 3 finished images, then a rerun: the same bytes as one uninterrupted run")
    func killAndResume() throws {
        let input = try Self.makeInputs()
        let inputsBefore = try ProcessCLITests.digests(input)
        let reference = TestPaths.temporaryDirectory("resume-ref")
        let r = try CLI.run(["process", input.path, "--out", reference.path] + Self.arguments, environment: CLI.fixedClock)
        #expect(r.status == 0, "\(r.stderr)")

        let out = TestPaths.temporaryDirectory("resume-out")
        let executable = try #require(CLI.executable)
        for killAfter in [0, 1, 3] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["process", input.path, "--out", out.path] + Self.arguments
            p.environment = ProcessInfo.processInfo.environment.merging(CLI.fixedClock) { $1 }
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            // Kill once `killAfter` images are recorded (for 0: shortly after start, mid-first-image).
            let deadline = Date().addingTimeInterval(60)
            if killAfter == 0 { usleep(300_000) }
            while killAfter > 0, Self.records(out) < killAfter, p.isRunning, Date() < deadline { usleep(20_000) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let finish = try CLI.run(["process", input.path, "--out", out.path] + Self.arguments, environment: CLI.fixedClock)
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(finish.stdout.contains("skipped"), "the rerun redid everything")
        let (a, b) = (try Self.outputs(reference), try Self.outputs(out))
        #expect(Set(a.keys) == Set(b.keys), "files differ: \(Set(a.keys).symmetricDifference(Set(b.keys)).sorted())")
        #expect(a.filter { b[$0.key] != $0.value }.isEmpty, "contents differ: \(a.filter { b[$0.key] != $0.value }.keys.sorted())")
        let leftovers = try ProcessCLITests.digests(out).keys.filter { ($0 as NSString).lastPathComponent.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        #expect(try ProcessCLITests.digests(input) == inputsBefore)
    }

    @Test("SIGINT finishes the image in hand and stops (exit 130, what is done reportable); the rerun ends with the uninterrupted run's bytes")
    func interruptAndResume() throws {
        let input = try Self.makeInputs()
        let reference = TestPaths.temporaryDirectory("interrupt-ref")
        let r = try CLI.run(["process", input.path, "--out", reference.path] + Self.arguments, environment: CLI.fixedClock)
        #expect(r.status == 0, "\(r.stderr)")

        let out = TestPaths.temporaryDirectory("interrupt-out")
        let stderrURL = out.deletingLastPathComponent().appendingPathComponent(out.lastPathComponent + ".stderr")
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(CLI.executable))
        p.arguments = ["process", input.path, "--out", out.path] + Self.arguments
        p.environment = ProcessInfo.processInfo.environment.merging(CLI.fixedClock) { $1 }
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = stderrHandle
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Self.records(out) < 1, p.isRunning, Date() < deadline { usleep(20_000) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        try stderrHandle.close()
        let stderr = try String(contentsOf: stderrURL, encoding: .utf8)
        let done = Self.records(out)
        #expect(p.terminationReason == .exit && p.terminationStatus == 130, "\(p.terminationReason) \(p.terminationStatus): \(stderr)")
        #expect(done >= 1 && done < 4, "\(done) images recorded")
        #expect(stderr.contains("interrupted (SIGINT): \(done) of 4 images done"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.html").path), "a report of a run that did not finish")
        let partial = try CLI.run(["report", out.path])
        #expect(partial.status == 0 && partial.stdout.contains("report: \(done) images from \(done) records"), "\(partial.stdout)\(partial.stderr)")

        let finish = try CLI.run(["process", input.path, "--out", out.path] + Self.arguments, environment: CLI.fixedClock)
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(finish.stdout.components(separatedBy: "(done before, skipped)").count - 1 == done, "\(finish.stdout)")
        let (a, b) = (try Self.outputs(reference), try Self.outputs(out))
        #expect(Set(a.keys) == Set(b.keys), "files differ: \(Set(a.keys).symmetricDifference(Set(b.keys)).sorted())")
        #expect(a.filter { b[$0.key] != $0.value }.isEmpty, "contents differ: \(a.filter { b[$0.key] != $0.value }.keys.sorted())")
    }

    @Test("--jobs 2 writes the same outputs as --jobs 1")
    func jobsAgree() throws {
        let input = try Self.makeInputs()
        let one = TestPaths.temporaryDirectory("jobs1"), two = TestPaths.temporaryDirectory("jobs2")
        #expect(try CLI.run(["process", input.path, "--out", one.path, "--jobs", "1"] + Self.arguments, environment: CLI.fixedClock).status == 0)
        #expect(try CLI.run(["process", input.path, "--out", two.path, "--jobs", "2"] + Self.arguments, environment: CLI.fixedClock).status == 0)
        let (a, b) = (try Self.outputs(one), try Self.outputs(two))
        #expect(Set(a.keys) == Set(b.keys))
        #expect(a.filter { b[$0.key] != $0.value }.isEmpty, "differ: \(a.filter { b[$0.key] != $0.value }.keys.sorted())")
    }
}
