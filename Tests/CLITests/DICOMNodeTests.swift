import Foundation
import Preprocess
import TestSupport
import Testing

/// `cxr-explain listen` as a hospital would use it: images arrive with DCMTK's `dcmsend`, results go to a DCMTK
/// `storescp` (unique file names, so a duplicate send would show as a second file), the node is stopped with
/// SIGTERM and killed with SIGKILL.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && (Tool.find("storescp") != nil || Tool.required), "needs DCMTK's storescp and dcmsend"),
       .serialized)
struct DICOMNodeTests {
    /// Ports from the process id, away from the defaults and from the Orthanc tests' range.
    static let basePort = 40000 + Int(getpid() % 4000) * 4

    /// A `storescp` that keeps every instance it receives in its own file, answering C-ECHO before the test goes on.
    final class Destination {
        private(set) var process = Process()
        let folder = TestPaths.temporaryDirectory("node-dest")
        private(set) var port: Int
        /// Listens on `port`, or when that is taken (another test's connection may hold it as its local port) on
        /// `port` + 1000, + 2000, + 3000: read `port` for the one it got.
        init(port preferred: Int) throws {
            port = preferred
            let storescp = try #require(Tool.find("storescp"))
            for candidate in stride(from: preferred, through: preferred + 3000, by: 1000) {
                port = candidate
                process = Process()
                process.executableURL = URL(fileURLWithPath: storescp)
                process.arguments = ["-aet", "DEST", "-uf", "-od", folder.path, String(candidate)]
                process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
                process.standardError = FileHandle(forWritingAtPath: "/dev/null")
                try process.run()
                for _ in 0..<50 where process.isRunning {
                    if let echo = try? Tool.run("echoscu", ["-aec", "DEST", "-aet", "PROBE", "127.0.0.1", String(candidate)]), echo.status == 0 { return }
                    usleep(100_000)
                }
                if process.isRunning { stop() }
            }
            throw Failure(message: "storescp could not listen on port \(preferred) nor on the three after it")
        }
        /// SOP Class UID of every file received.
        func received() -> [(file: String, sopClass: String, instanceUID: String)] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().compactMap { name in
                let path = folder.appendingPathComponent(name).path
                guard let file = try? DICOMFile(path: path) else { return nil }
                return (name, file.text("SOPClassUID") ?? "", file.text("SOPInstanceUID") ?? "")
            }
        }
        /// SIGKILL: storescp inherits the test runner's blocked SIGTERM.
        func stop() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// A running `cxr-explain listen`; its log in `log`.
    final class Node {
        let process = Process()
        let logURL: URL
        /// The node's stderr, closed once it has exited (an open handle kept the test's tmpfs busy).
        private let logHandle: FileHandle
        /// `extra` follows the test defaults (port, folder, Grad-CAM, one job); `exactly` runs `listen` with it alone.
        init(port: Int, out: URL, extra: [String], environment: [String: String] = [:], exactly: Bool = false) throws {
            logURL = out.deletingLastPathComponent().appendingPathComponent(out.lastPathComponent + ".\(UUID().uuidString.prefix(6)).log")
            FileManager.default.createFile(atPath: logURL.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: try #require(CLI.executable))
            process.arguments = exactly ? ["listen"] + extra
                : ["listen", "--port", String(port), "--out", out.path, "--methods", "gradcam", "--jobs", "1"] + extra
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            logHandle = try FileHandle(forWritingTo: logURL)
            process.standardError = logHandle
            try process.run()
            // Ready once it answers an association (C-ECHO, or a rejection when SENDER is not allowed).
            for _ in 0..<50 {
                if let echo = try? Tool.run("echoscu", ["-aec", "CXREXPLAIN", "-aet", "SENDER", "127.0.0.1", String(port)]),
                   echo.status == 0 || echo.stderr.contains("Association Rejected") { return }
                usleep(100_000)
            }
            throw Failure(message: "the node did not answer C-ECHO on port \(port): \(log)")
        }
        var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
        func terminate() -> Int32 {
            process.terminate(); process.waitUntilExit(); try? logHandle.close()
            return process.terminationStatus
        }
        func kill9() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit(); try? logHandle.close() }
        deinit { try? logHandle.close() }
        /// Waits until `condition` holds or `seconds` pass.
        func wait(seconds: Double, until condition: () -> Bool) -> Bool {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end { if condition() { return true }; usleep(200_000) }
            return condition()
        }
    }

    struct Failure: Error { var message: String }

    static let comprehensiveSR = "1.2.840.10008.5.1.4.1.1.88.33"
    static let chestFiles = ["chest_CR_PA_RG1_JLSN.dcm", "chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm",
                             "chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"]

    static func send(_ files: [String], port: Int, callingAET: String = "SENDER") throws -> ToolResult {
        try Tool.run("dcmsend", ["-v", "-aec", "CXREXPLAIN", "-aet", callingAET, "127.0.0.1", String(port)] + files)
    }

    @Test("a study sent with dcmsend is processed once stable and its results reach the destination; SIGTERM stops the node")
    func receiveProcessSend() throws {
        let destination = try Destination(port: Self.basePort)
        defer { destination.stop() }
        let out = TestPaths.temporaryDirectory("node")
        let node = try Node(port: Self.basePort + 1, out: out,
                            extra: ["--stable-after", "1", "--send", "DEST@127.0.0.1:\(destination.port)", "--allow", "SENDER@127.0.0.1"])
        let sent = try Self.send(Self.chestFiles.map(TestPaths.dicom), port: Self.basePort + 1)
        #expect(sent.stderr.contains("with status SUCCESS  : 3"), "\(sent.stderr)")
        // Each image: gray + RGB SC, Parametric Map, presentation state, SR; never its tagged copy.
        #expect(node.wait(seconds: 60) { destination.received().count >= 15 }, "\(node.log)")
        let received = destination.received()
        #expect(received.count == 15, "\(received.map(\.file))")
        #expect(received.filter { $0.sopClass == Self.comprehensiveSR }.count == 3)
        #expect(Set(received.map(\.instanceUID)).count == 15, "every object its own SOP Instance UID")
        for file in Self.chestFiles {
            let uid = try #require(try DICOMFile(path: TestPaths.dicom(file)).text("SOPInstanceUID"))
            #expect(!received.contains { $0.instanceUID == uid }, "the source instance itself is not sent back")
        }
        // The inbox holds the instances bit for bit as sent.
        let inbox = out.appendingPathComponent("inbox")
        let studies = try FileManager.default.contentsOfDirectory(atPath: inbox.path)
        #expect(studies.count == 3 && studies.allSatisfy { $0.hasPrefix("study-") })
        // An unknown caller is refused at association; C-ECHO is answered.
        let stranger = try Self.send([TestPaths.dicom(Self.chestFiles[0])], port: Self.basePort + 1, callingAET: "STRANGER")
        #expect(stranger.status != 0)
        #expect(stranger.stderr.contains("Association Rejected"), "\(stranger.stderr)")
        #expect(node.terminate() == 0, "SIGTERM: a clean exit")
        let log = node.log
        #expect(log.contains("association from SENDER@127.0.0.1: 3 stored, 0 refused, released"), "\(log)")
        #expect(log.contains("association from STRANGER@127.0.0.1: 0 stored, 0 refused, refused"), "\(log)")
        #expect(log.contains("sent to DEST@127.0.0.1:\(destination.port): 5 stored, 0 not stored"), "\(log)")
        #expect(log.contains("stopped"))
        // No patient data in the log: no patient name or ID, no study UID.
        for file in Self.chestFiles {
            let dicom = try DICOMFile(path: TestPaths.dicom(file))
            for key in ["PatientName", "PatientID", "StudyInstanceUID"] {
                if let value = dicom.text(key), value.count > 2 { #expect(!log.contains(value), "\(key) in the log") }
            }
        }
    }

    @Test("killed with SIGKILL before a study was processed, the node finishes it on restart; one SR per image, nothing sent twice")
    func survivesSIGKILL() throws {
        let destination = try Destination(port: Self.basePort + 2)
        defer { destination.stop() }
        let out = TestPaths.temporaryDirectory("node-kill")
        let arguments = ["--stable-after", "2", "--send", "DEST@127.0.0.1:\(destination.port)"]
        var node = try Node(port: Self.basePort + 3, out: out, extra: arguments)
        // A first study goes through, then a second arrives and the node is killed at once.
        _ = try Self.send([TestPaths.dicom(Self.chestFiles[0])], port: Self.basePort + 3)
        #expect(node.wait(seconds: 60) { destination.received().count >= 5 }, "\(node.log)")
        let second = try Self.send([TestPaths.dicom(Self.chestFiles[1])], port: Self.basePort + 3)
        #expect(second.stderr.contains("with status SUCCESS  : 1"))
        node.kill9()
        #expect(destination.received().count == 5, "the second study was not processed before the kill")
        node = try Node(port: Self.basePort + 3, out: out, extra: arguments)
        #expect(node.wait(seconds: 60) { destination.received().count >= 10 }, "\(node.log)")
        usleep(3_000_000)  // anything sent twice would arrive now
        #expect(node.terminate() == 0)
        let received = destination.received()
        #expect(received.count == 10, "\(received.map(\.file))")
        #expect(received.filter { $0.sopClass == Self.comprehensiveSR }.count == 2, "one SR per image")
        #expect(Set(received.map(\.instanceUID)).count == received.count, "nothing sent twice")
    }

    @Test("a malformed instance fails alone and the association goes on; low disk space is answered 'out of resources' and nothing is kept")
    func refusals() throws {
        let input = TestPaths.temporaryDirectory("node-bad")
        let bad = input.appendingPathComponent("no-study.dcm").path
        try FileManager.default.copyItem(atPath: TestPaths.dicom(Self.chestFiles[0]), toPath: bad)
        #expect(try Tool.run("dcmodify", ["-nb", "-ea", "(0020,000d)", bad]).status == 0)
        let out = TestPaths.temporaryDirectory("node-refuse")
        var node = try Node(port: Self.basePort + 1, out: out, extra: ["--stable-after", "600"])
        let sent = try Self.send([bad, TestPaths.dicom(Self.chestFiles[1])], port: Self.basePort + 1)
        #expect(sent.stderr.contains("with status SUCCESS  : 1"), "\(sent.stderr)")
        #expect(sent.stderr.contains("Received C-STORE Response (Error: DataSetDoesNotMatchSOPClass)"), "\(sent.stderr)")
        #expect(node.terminate() == 0)
        #expect(node.log.contains("no Study Instance UID"), "\(node.log)")
        #expect(node.log.contains("1 stored, 1 refused, released"), "\(node.log)")

        node = try Node(port: Self.basePort + 1, out: out, extra: ["--stable-after", "600", "--min-free-mb", "100000000"])
        let full = try Self.send([TestPaths.dicom(Self.chestFiles[2])], port: Self.basePort + 1)
        #expect(full.stderr.contains("Refused: OutOfResources"), "\(full.stderr)")
        #expect(node.terminate() == 0)
        let inbox = out.appendingPathComponent("inbox")
        let files = FileManager.default.enumerator(atPath: inbox.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".dcm") } ?? []
        #expect(files.count == 1, "only the one instance answered Success is kept: \(files)")
        let spool = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(".cxr-explain/spool").path)
        #expect(spool.isEmpty)
    }

    @Test("instances over --max-instance-mb are refused; a disk that fills mid-instance aborts that association and keeps nothing partial")
    func sizeAndFullDisk() throws {
        let out = TestPaths.temporaryDirectory("node-size")
        var node = try Node(port: Self.basePort + 1, out: out, extra: ["--stable-after", "600", "--max-instance-mb", "1"])
        let big = try Self.send([TestPaths.dicom(Self.chestFiles[0]), TestPaths.dicom(Self.chestFiles[2])], port: Self.basePort + 1)
        #expect(big.stderr.contains("Refused: OutOfResources") && big.stderr.contains("with status SUCCESS  : 1"), "\(big.stderr)")
        #expect(node.terminate() == 0)
        #expect(node.log.contains("is larger than the limit of 1048576"), "\(node.log)")

        guard TmpfsMount.available else { return }
        let disk = try TmpfsMount.mount("node-disk", megabytes: 4)
        defer { #expect(TmpfsMount.unmount(disk), "the tmpfs was still busy: a process of the node outlived it") }
        // No margin: the second 2.7 MB instance does not fit and the disk fills while it arrives.
        node = try Node(port: Self.basePort + 1, out: disk.appendingPathComponent("node"), extra: ["--stable-after", "600", "--min-free-mb", "0"])
        let full = try Self.send([TestPaths.dicom(Self.chestFiles[0]), TestPaths.dicom("nonchest_CR_RG2_RLE.dcm")], port: Self.basePort + 1)
        #expect(full.stderr.contains("Received C-STORE Response (Success)") && full.stderr.contains("Peer Aborted Association"), "\(full.stderr)")
        #expect(node.terminate() == 0)
        #expect(node.log.contains("1 stored, 1 refused, ended by an error"), "\(node.log)")
        let spool = try FileManager.default.contentsOfDirectory(atPath: disk.appendingPathComponent("node/.cxr-explain/spool").path)
        #expect(spool.isEmpty, "a partial instance was left: \(spool)")
        // With the default margin the same disk answers "out of resources" before receiving anything.
        node = try Node(port: Self.basePort + 1, out: disk.appendingPathComponent("node"), extra: ["--stable-after", "600"])
        let refused = try Self.send([TestPaths.dicom(Self.chestFiles[2])], port: Self.basePort + 1)
        #expect(refused.stderr.contains("Refused: OutOfResources"), "\(refused.stderr)")
        #expect(node.terminate() == 0)
    }

    @Test("the systemd unit's ExecStart is a command line listen accepts and runs")
    func systemdUnit() throws {
        let unit = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("deploy/cxr-explain-node.service"), encoding: .utf8)
        let joined = unit.replacingOccurrences(of: "\\\n", with: " ")
        let line = try #require(joined.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        var arguments = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init).dropFirst()  // the binary
        #expect(arguments.first == "listen")
        // This machine's folder, port, credentials file and destinations stand in for the site's.
        let out = TestPaths.temporaryDirectory("unit-node")
        let credentials = out.appendingPathExtension("credentials")
        try "user:password\n".write(to: credentials, atomically: true, encoding: .utf8)
        func replace(_ option: String, with value: String) throws {
            let i = try #require(arguments.firstIndex(of: option), "\(option) not in the unit")
            arguments[i + 1] = value
        }
        try replace("--out", with: out.path)
        try replace("--port", with: String(Self.basePort + 1))
        try replace("--stow-credentials", with: credentials.path)
        try replace("--send", with: "PACS@127.0.0.1:\(Self.basePort + 2)")
        try replace("--stow", with: "http://127.0.0.1:\(Self.basePort + 2)/dicom-web")
        let node = try Node(port: Self.basePort + 1, out: out, extra: Array(arguments.dropFirst()), exactly: true)
        #expect(node.terminate() == 0, "\(node.log)")
        #expect(node.log.contains("listening as CXREXPLAIN on port \(Self.basePort + 1)"), "\(node.log)")
    }
}
