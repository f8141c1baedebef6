import Foundation
import Preprocess
import TestSupport
import Testing

/// Orthanc as the hospital's PACS: it routes a study to `cxr-explain listen` (REST `/modalities/node/store`),
/// and the results come back into it under the source's study, by C-STORE and by DICOMweb STOW-RS (the
/// DICOMweb plugin, Debian `orthanc-dicomweb`, behind HTTP Basic authentication).
private let dicomWebPlugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"

@Suite(.enabled(if: TestPaths.sharedDataAvailable && (FileManager.default.fileExists(atPath: dicomWebPlugin) || Tool.required),
                "needs Orthanc with its DICOMweb plugin (Debian orthanc, orthanc-dicomweb)"),
       .serialized)
struct NodeOrthancTests {
    /// Its own range: DICOMNodeTests may run at the same time.
    static let nodePort = 57000 + Int(getpid() % 2000) * 4

    @Test("Orthanc routes a study to the node; its results return by C-STORE and STOW-RS into the source's study")
    func orthancRoundTrip() throws {
        let orthanc = try PACSRoundTripTests.Orthanc(
            extra: ["Plugins": [dicomWebPlugin], "DicomWeb": ["Enable": true, "Root": "/dicom-web/"],
                    "AuthenticationEnabled": true, "RegisteredUsers": ["alice": "wonderland"],
                    "DicomModalities": ["node": ["CXREXPLAIN", "127.0.0.1", Self.nodePort]]],
            credentials: "alice:wonderland", instance: 1)
        defer { orthanc.stop() }
        let source = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let uploaded = try #require(try orthanc.request("POST", "/instances", body: "@" + source) as? [String: Any])
        let instanceID = try #require(uploaded["ID"] as? String)
        let studyID = try #require(uploaded["ParentStudy"] as? String)

        let out = TestPaths.temporaryDirectory("node-orthanc")
        let node = try DICOMNodeTests.Node(
            port: Self.nodePort, out: out,
            extra: ["--stable-after", "1", "--allow", "CXRTEST@127.0.0.1", "--send", "CXRTEST@127.0.0.1:\(orthanc.dicom)",
                    "--stow", "http://127.0.0.1:\(orthanc.http)/dicom-web"],
            environment: ["CXR_EXPLAIN_STOW_CREDENTIALS": "alice:wonderland"])
        _ = try orthanc.request("POST", "/modalities/node/store", body: instanceID)
        // The source and its five derived objects (gray and RGB SC, Parametric Map, presentation state, SR).
        let arrived = node.wait(seconds: 60) { ((try? orthanc.get("/studies/\(studyID)/instances")) as? [[String: Any]])?.count == 6 }
        #expect(arrived, "\(node.log)")
        #expect(node.terminate() == 0)
        let log = node.log
        #expect(log.contains("association from CXRTEST@127.0.0.1: 1 stored, 0 refused, released"), "\(log)")
        #expect(log.contains("association from SENDER@127.0.0.1: 0 stored, 0 refused, refused"), "an unknown caller is refused: \(log)")
        #expect(log.contains("sent to CXRTEST@127.0.0.1:\(orthanc.dicom): 5 stored, 0 not stored"), "\(log)")
        #expect(log.contains("sent to http://127.0.0.1:\(orthanc.http)/dicom-web: 5 stored, 0 not stored"), "\(log)")
        #expect(try #require(try orthanc.get("/studies") as? [String]).count == 1, "everything in the source's study")

        // results.json records each object's outcome for both destinations.
        let results = try #require(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("results").path).first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results/\(results)/results.json"))) as? [String: Any])
        for key in ["send", "stow"] {
            let section = try #require(json[key] as? [String: Any], "\(key) missing")
            #expect(section["stored"] as? Int == 5 && section["notStored"] as? Int == 0, "\(key): \(section)")
        }

        // STOW-RS with credentials the service refuses: one clear line, nothing stored, exit 1 (a retry will not help).
        let input = TestPaths.temporaryDirectory("stow-in")
        try FileManager.default.copyItem(atPath: source, toPath: input.appendingPathComponent("a.dcm").path)
        let wrong = try CLI.run(["process", input.path, "--out", TestPaths.temporaryDirectory("stow-out").path, "--methods", "gradcam",
                                 "--stow", "http://127.0.0.1:\(orthanc.http)/dicom-web"],
                                environment: ["CXR_EXPLAIN_STOW_CREDENTIALS": "alice:looking-glass"])
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("HTTP 401, the credentials were refused"), "\(wrong.stderr)")
        // Credentials in the URL are refused before anything runs.
        let inURL = try CLI.run(["process", input.path, "--out", TestPaths.temporaryDirectory("stow-out").path,
                                 "--stow", "http://alice:wonderland@127.0.0.1:\(orthanc.http)/dicom-web"])
        #expect(inURL.status == 2 && inURL.stderr.contains("credentials do not belong in the URL"), "\(inURL.stderr)")
    }
}
