import Foundation
import Preprocess
import TestSupport
import Testing

/// A real PACS: Orthanc on 127.0.0.1 with a private configuration (its own ports, a temporary storage
/// folder), every output of a `process` run sent with DCMTK's dcmsend, then checked through Orthanc's REST
/// API: each instance stored, in the source's study.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && (Tool.find("Orthanc") != nil || Tool.required), "needs Orthanc (Debian orthanc)"),
       .serialized)
struct PACSRoundTripTests {
    final class Orthanc {
        let process = Process()
        let http: Int
        let dicom: Int
        let folder: URL

        init() throws {
            folder = TestPaths.temporaryDirectory("orthanc")
            // Ports from the process id, away from the defaults, so parallel CI jobs do not collide.
            http = 20000 + Int(getpid() % 5000) * 2
            dicom = http + 1
            let config: [String: Any] = [
                "Name": "cxr-explain-test", "StorageDirectory": folder.appendingPathComponent("storage").path,
                "IndexDirectory": folder.appendingPathComponent("index").path, "HttpPort": http, "DicomPort": dicom,
                "DicomAet": "CXRTEST", "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": true,
                "Plugins": [String](), "HttpServerEnabled": true, "DicomServerEnabled": true, "StableAge": 1,
            ]
            let path = folder.appendingPathComponent("orthanc.json")
            try JSONSerialization.data(withJSONObject: config).write(to: path)
            process.executableURL = URL(fileURLWithPath: try #require(Tool.find("Orthanc")))
            process.arguments = [path.path]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            for _ in 0..<100 {
                if (try? get("/system")) != nil { return }
                usleep(100_000)
            }
            throw Failure(message: "Orthanc did not answer on port \(http)")
        }

        /// Through the REST API: the child inherits the test runner's blocked signals, so SIGTERM may never
        /// arrive; SIGKILL if it has not gone after 10 s.
        func stop() {
            _ = try? request("POST", "/tools/shutdown")
            for _ in 0..<100 where process.isRunning { usleep(100_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: folder)
        }

        struct Failure: Error { var message: String }

        func request(_ method: String, _ path: String, body: String? = nil) throws -> Any {
            var args = ["-sf", "-X", method, "http://127.0.0.1:\(http)\(path)"]
            if let body { args += ["--data-binary", body] }
            let r = try Tool.run("curl", args)
            guard r.status == 0 else { throw Failure(message: "curl \(method) \(path): exit \(r.status)") }
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        }
        func get(_ path: String) throws -> Any { try request("GET", path) }
    }

    @Test("every SC, SR, tagged copy and conversion is stored by Orthanc and sits in its source's study")
    func roundTrip() throws {
        let input = TestPaths.temporaryDirectory("pacs-in")
        for (folder, file) in [("studyA", TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm")),
                               ("studyB", TestPaths.viewData.appendingPathComponent("L/000002-3.png").path)] {
            try FileManager.default.createDirectory(at: input.appendingPathComponent(folder), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: file, toPath: input.appendingPathComponent("\(folder)/\((file as NSString).lastPathComponent)").path)
        }
        let out = TestPaths.temporaryDirectory("pacs-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "lime", "--samples", "40"])
        #expect(r.status == 0, "\(r.stderr)")
        var files: [String] = []
        for case let rel as String in FileManager.default.enumerator(atPath: out.path)! where rel.hasSuffix(".dcm") && !rel.hasPrefix(".") {
            files.append(out.appendingPathComponent(rel).path)
        }
        #expect(files.count == 2 * (1 + 4 + 1))  // tagged copy or conversion, 2 SC × 2 methods, SR

        let orthanc = try Orthanc()
        defer { orthanc.stop() }
        let send = try Tool.run("dcmsend", ["-aec", "CXRTEST", "127.0.0.1", String(orthanc.dicom)] + files)
        #expect(send.status == 0, "\(send.stderr)")
        for path in files {
            let file = try DICOMFile(path: path)
            let uid = try #require(file.text("SOPInstanceUID"))
            let found = try #require(try orthanc.request("POST", "/tools/lookup", body: uid) as? [[String: Any]])
            let id = try #require(found.first { $0["Type"] as? String == "Instance" }?["ID"] as? String, "\(path) not stored")
            let tags = try #require(try orthanc.get("/instances/\(id)/simplified-tags") as? [String: Any])
            #expect(tags["StudyInstanceUID"] as? String == file.text("StudyInstanceUID"), "\(path) in another study")
            #expect(tags["SOPClassUID"] as? String == file.text("SOPClassUID"))
        }
        // Two studies, each holding its source and the derived series.
        let studies = try #require(try orthanc.get("/studies") as? [String])
        #expect(studies.count == 2)
    }
}
