import Foundation
import Preprocess
import TestSupport
import Testing

/// `process --shard I/N` runs at once into one folder, then `report` merges them: the same DICOM bytes as one
/// unsharded run, every image listed once.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct ShardCLITests {
    @Test("three shards at once into one folder, then report: every DICOM output byte-identical to one run, every image once")
    func shardsMerge() throws {
        let input = try ProcessResumeTests.makeInputs()
        let reference = TestPaths.temporaryDirectory("shard-ref"), out = TestPaths.temporaryDirectory("shard-out")
        let arguments = ["--methods", "gradcam"]
        #expect(try CLI.run(["process", input.path, "--out", reference.path] + arguments, environment: CLI.fixedClock).status == 0)
        let executable = try #require(CLI.executable)
        let shards = (0..<3).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["process", input.path, "--out", out.path, "--shard", "\(i)/3"] + arguments
            p.environment = ProcessInfo.processInfo.environment.merging(CLI.fixedClock) { $1 }
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            return p
        }
        for p in shards { try p.run() }
        for p in shards { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("results.json").path), "a shard wrote the run's report")
        let merged = try CLI.run(["report", out.path])
        #expect(merged.status == 0, "\(merged.stderr)")
        func dicoms(_ root: URL) throws -> [String: String] { try ProcessCLITests.digests(root).filter { $0.key.hasSuffix(".dcm") } }
        let (a, b) = (try dicoms(reference), try dicoms(out))
        #expect(!a.isEmpty && a == b, "differ: \(Set(a.keys).symmetricDifference(Set(b.keys)).sorted()) \(a.filter { b[$0.key] != $0.value }.keys.sorted())")
        struct Results: Decodable { struct Image: Decodable { var relativePath: String }; var images: [Image] }
        let listed = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json"))).images.map(\.relativePath)
        let expected = try JSONDecoder().decode(Results.self, from: Data(contentsOf: reference.appendingPathComponent("results.json"))).images.map(\.relativePath)
        #expect(listed.sorted() == expected.sorted() && Set(listed).count == listed.count, "\(listed)")
    }

    @Test("a shard killed with SIGKILL while another runs, restarted, then report: the same DICOM bytes as one run")
    func shardKilledAndRestarted() throws {
        let input = try ProcessResumeTests.makeInputs()
        let reference = TestPaths.temporaryDirectory("shardkill-ref"), out = TestPaths.temporaryDirectory("shardkill-out")
        let arguments = ["--methods", "gradcam", "--jobs", "1"]
        #expect(try CLI.run(["process", input.path, "--out", reference.path] + arguments, environment: CLI.fixedClock).status == 0)
        let executable = try #require(CLI.executable)
        func start(_ shard: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = ["process", input.path, "--out", out.path, "--shard", shard] + arguments
            p.environment = ProcessInfo.processInfo.environment.merging(CLI.fixedClock) { $1 }
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            return p
        }
        let victim = try start("0/2"), other = try start("1/2")
        // Killed once the first image of the run is recorded (or mid-image, if that takes long).
        let deadline = Date().addingTimeInterval(30)
        usleep(300_000)
        while ProcessResumeTests.records(out) < 1, victim.isRunning, Date() < deadline { usleep(20_000) }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        other.waitUntilExit()
        #expect(other.terminationStatus == 0)
        let retry = try CLI.run(["process", input.path, "--out", out.path, "--shard", "0/2"] + arguments, environment: CLI.fixedClock)
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(try CLI.run(["report", out.path]).status == 0)
        func dicoms(_ root: URL) throws -> [String: String] { try ProcessCLITests.digests(root).filter { $0.key.hasSuffix(".dcm") } }
        let (a, b) = (try dicoms(reference), try dicoms(out))
        #expect(!a.isEmpty && a == b, "differ: \(Set(a.keys).symmetricDifference(Set(b.keys)).sorted()) \(a.filter { b[$0.key] != $0.value }.keys.sorted())")
        let leftovers = try ProcessCLITests.digests(out).keys.filter { ($0 as NSString).lastPathComponent.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("--shard must be I/N with 0 ≤ I < N", arguments: ["3/3", "-1/2", "1", "a/b", "0/0"])
    func badShard(value: String) throws {
        let r = try CLI.run(["process", "/nonexistent", "--out", "/tmp/cxr-shard-bad", "--shard", value])
        #expect(r.status == 2, "\(r.stderr)")
    }
}
