import Foundation
import Preprocess
import TestSupport
import Testing

/// A real PACS: Orthanc on 127.0.0.1 with a private configuration (its own ports, a temporary storage
/// folder); `process --send` stores the run's new objects through DCMTK's C-STORE SCU, then Orthanc's REST
/// API shows each instance stored, in the source's study.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && (Tool.find("Orthanc") != nil || Tool.required), "needs Orthanc (Debian orthanc)"),
       .serialized)
struct PACSRoundTripTests {
    final class Orthanc {
        let process = Process()
        let http: Int
        let dicom: Int
        let folder: URL
        /// HTTP Basic credentials ("user:password") when the configuration turns authentication on.
        let credentials: String?

        /// `extra` adds to (or replaces) the configuration's entries: plugins, modalities, users.
        /// `instance` separates the ports of Orthancs that suites running at the same time start (0 or 1).
        init(extra: [String: Any] = [:], credentials: String? = nil, instance: Int = 0) throws {
            self.credentials = credentials
            folder = TestPaths.temporaryDirectory("orthanc")
            // Ports from the process id, away from the defaults, so parallel CI jobs do not collide.
            http = 20000 + Int(getpid() % 2500) * 4 + instance * 2
            dicom = http + 1
            let config: [String: Any] = [
                "Name": "cxr-explain-test", "StorageDirectory": folder.appendingPathComponent("storage").path,
                "IndexDirectory": folder.appendingPathComponent("index").path, "HttpPort": http, "DicomPort": dicom,
                "DicomAet": "CXRTEST", "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": true,
                "Plugins": [String](), "HttpServerEnabled": true, "DicomServerEnabled": true, "StableAge": 1,
            ].merging(extra) { $1 }
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
            var args = ["-sf", "-X", method, "http://127.0.0.1:\(http)\(path)"] + (credentials.map { ["-u", $0] } ?? [])
            if let body { args += ["--data-binary", body] }
            let r = try Tool.run("curl", args)
            guard r.status == 0 else { throw Failure(message: "curl \(method) \(path): exit \(r.status)") }
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        }
        func get(_ path: String) throws -> Any { try request("GET", path) }
    }

    static func makeInput() throws -> URL {
        let input = TestPaths.temporaryDirectory("pacs-in")
        for (folder, file) in [("studyA", TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")),
                               ("studyB", TestPaths.viewData.appendingPathComponent("L/000002-3.png").path)] {
            try FileManager.default.createDirectory(at: input.appendingPathComponent(folder), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: file, toPath: input.appendingPathComponent("\(folder)/\((file as NSString).lastPathComponent)").path)
        }
        // Without a header view, the (surely PA) chest CR gets a tagged copy, which must stay local.
        _ = try Tool.run("dcmodify", ["-nb", "-e", "(0018,5101)", input.appendingPathComponent("studyA/chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm").path])
        return input
    }

    struct SendDocument: Decodable {
        struct Send: Decodable {
            struct Object: Decodable { var path: String; var stored: Bool; var status: UInt16?; var message: String }
            var peer: String; var stored: Int; var notStored: Int; var error: String?; var objects: [Object]
        }
        var send: Send?
    }

    @Test("process --send stores every SC, SR and conversion in Orthanc, in its source's study; tagged copies stay local")
    func sendToOrthanc() throws {
        let orthanc = try Orthanc()
        defer { orthanc.stop() }
        let input = try Self.makeInput()
        let out = TestPaths.temporaryDirectory("pacs-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "lime", "--samples", "40",
                             "--send", "CXRTEST@127.0.0.1:\(orthanc.dicom)"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("send: 19 objects to CXRTEST@127.0.0.1:\(orthanc.dicom) as CXREXPLAIN"), "\(r.stdout)")
        #expect(r.stdout.contains("sent: 19 stored, 0 not stored"), "\(r.stdout)")
        var files: [String] = []
        for case let rel as String in FileManager.default.enumerator(atPath: out.path)! where rel.hasSuffix(".dcm") && !rel.hasPrefix(".") {
            files.append(rel)
        }
        #expect(files.count == 2 * (1 + 8 + 1))  // tagged copy or conversion, (2 SC + Parametric Map + GSPS) × 2 methods, SR
        let document = try JSONDecoder().decode(SendDocument.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        let send = try #require(document.send)
        #expect(send.stored == 19 && send.notStored == 0 && send.error == nil)
        #expect(send.objects.allSatisfy { $0.stored && $0.status == 0 })
        #expect(Set(send.objects.map(\.path)) == Set(files.filter { $0 != "studyA/chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm" }))

        for rel in files {
            let file = try DICOMFile(path: out.appendingPathComponent(rel).path)
            let uid = try #require(file.text("SOPInstanceUID"))
            let found = try #require(try orthanc.request("POST", "/tools/lookup", body: uid) as? [[String: Any]])
            let id = found.first { $0["Type"] as? String == "Instance" }?["ID"] as? String
            if rel == "studyA/chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm" {
                #expect(id == nil, "the tagged copy was sent")
                continue
            }
            let instance = try #require(id, "\(rel) not stored")
            let tags = try #require(try orthanc.get("/instances/\(instance)/simplified-tags") as? [String: Any])
            #expect(tags["StudyInstanceUID"] as? String == file.text("StudyInstanceUID"), "\(rel) in another study")
            #expect(tags["SOPClassUID"] as? String == file.text("SOPClassUID"))
        }
        // Two studies: each source's study received its derived series.
        let studies = try #require(try orthanc.get("/studies") as? [String])
        #expect(studies.count == 2)

        // A rerun skips the images and sends the same objects again: the PACS still holds 19 instances.
        let again = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "lime", "--samples", "40",
                                 "--send", "CXRTEST@127.0.0.1:\(orthanc.dicom)"])
        #expect(again.status == 0 && again.stdout.contains("sent: 19 stored, 0 not stored"), "\(again.stdout)\n\(again.stderr)")
        #expect((try orthanc.get("/instances") as? [String])?.count == 19)

        // The wrong called AE title: Orthanc rejects the association; one error line, the report says so, exit 1.
        let wrong = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "lime", "--samples", "40",
                                 "--send", "NOTORTHANC@127.0.0.1:\(orthanc.dicom)", "--send-timeout", "5"])
        #expect(wrong.status == 1)
        let errors = wrong.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1 && errors[0].contains("cannot associate with NOTORTHANC@127.0.0.1:\(orthanc.dicom)"), "\(wrong.stderr)")
        let rejected = try #require(try JSONDecoder().decode(SendDocument.self, from: Data(contentsOf: out.appendingPathComponent("results.json"))).send)
        #expect(rejected.stored == 0 && rejected.notStored == 19 && rejected.error != nil)
        #expect(try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8).contains("0 objects stored, 19 not stored"))
    }

    @Test("two sources under one SOP Instance UID with different content: Orthanc keeps every derived object, each UID once")
    func sharedSourceUIDInOrthanc() throws {
        let orthanc = try Orthanc()
        defer { orthanc.stop() }
        let input = TestPaths.temporaryDirectory("pacs-shared-in"), out = TestPaths.temporaryDirectory("pacs-shared-out")
        let a = input.appendingPathComponent("a.dcm").path, b = input.appendingPathComponent("b.dcm").path
        try FileManager.default.copyItem(atPath: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"), toPath: a)
        try FileManager.default.copyItem(atPath: a, toPath: b)
        // b: the same UIDs, the pixels shown through another window (an edited copy; inverting them instead would
        // make a negative image, which is refused).
        #expect(try Tool.run("dcmodify", ["-nb", "-m", "(0028,1050)=450", "-m", "(0028,1051)=700", b]).status == 0)
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--send", "CXRTEST@127.0.0.1:\(orthanc.dicom)"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        var uids: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: out.path) where name.hasSuffix(".dcm") {
            uids[name] = try #require(try DICOMFile(path: out.appendingPathComponent(name).path).text("SOPInstanceUID"))
        }
        #expect(uids.count == 10, "\(uids.keys.sorted())")  // per source: gray, RGB, Parametric Map, GSPS, SR
        #expect(Set(uids.values).count == uids.count, "two objects share a UID")
        let stored = try #require(try orthanc.get("/instances") as? [String])
        #expect(stored.count == uids.count, "Orthanc holds \(stored.count) instances for \(uids.count) objects")
        for (name, uid) in uids {
            let found = try #require(try orthanc.request("POST", "/tools/lookup", body: uid) as? [[String: Any]])
            let instances = found.filter { $0["Type"] as? String == "Instance" }
            #expect(instances.count == 1, "\(name) not stored once")
            // Orthanc returns the object unchanged: the same dataset, attribute for attribute (the meta header
            // is the receiver's own, C-STORE does not carry it).
            guard let id = instances.first?["ID"] as? String else { continue }
            let back = out.appendingPathComponent("orthanc-\(name)")
            #expect(try Tool.run("curl", ["-sf", "-o", back.path, "http://127.0.0.1:\(orthanc.http)/instances/\(id)/file"]).status == 0)
            func dataset(_ path: String) throws -> [Substring] {
                try Tool.run("dcmdump", ["-q", "+L", path]).stdout.split(separator: "\n").filter { !$0.hasPrefix("(0002,") && !$0.hasPrefix("#") }
            }
            #expect(try dataset(back.path) == dataset(out.appendingPathComponent(name).path), "\(name) came back changed")
        }
    }

    @Test("--send to a port nobody listens on: one clear error, the outputs and report are written, exit 75")
    func sendUnreachable() throws {
        let input = try Self.makeInput()
        let out = TestPaths.temporaryDirectory("pacs-out")
        // A port taken from the process id, far from Orthanc's, with nothing listening.
        let port = 40000 + Int(getpid() % 5000)
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--send", "PACS@127.0.0.1:\(port)", "--send-timeout", "3"])
        #expect(r.status == 75, "an unreachable PACS is a transient failure (EX_TEMPFAIL)")
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1 && errors[0].contains("cannot associate with PACS@127.0.0.1:\(port)"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("studyA/chest_CR_PA_gdcm-CR-MONO1-10-chest.sr.dcm").path))
        let send = try #require(try JSONDecoder().decode(SendDocument.self, from: Data(contentsOf: out.appendingPathComponent("results.json"))).send)
        #expect(send.stored == 0 && send.notStored == 11)  // per image: conversion or none, gray, RGB, Parametric Map, GSPS, SR
    }

    @Test("--send and --calling-aet are checked before any work", arguments: [
        ["--send", "PACS@host"], ["--send", "127.0.0.1:104"], ["--send", "PACS@host:0"], ["--send", "WAY-TOO-LONG-AE-TITLE@h:104"],
        ["--send", "PACS@h:104", "--calling-aet", "BACK\\SLASH"],
    ])
    func sendValidation(arguments: [String]) throws {
        let r = try CLI.run(["process", "/nonexistent", "--out", TestPaths.temporaryDirectory("pacs-out").path] + arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
    }
}
