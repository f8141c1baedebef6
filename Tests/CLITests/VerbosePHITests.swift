import Foundation
import Preprocess
import TestSupport
import Testing

/// With `--verbose`, DCMTK, libpng and libjpeg print their own diagnostics; none of them, nor our errors,
/// may carry patient data. The input is made to provoke diagnostics: an odd-length Patient Name, an
/// unknown character set, an invalid birth date, private tags; and a second, truncated copy that fails.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct VerbosePHITests {
    static let phi = ["Quirky^Phi^Name", "Quirky", "PHIID4711", "1940-03-05", "PHIOTHER", "PHIPRIVATE", "PHICOMMENT"]

    /// A copy of the MONOCHROME1 chest with patient data set by dcmodify, then Patient Name's length made odd.
    static func quirkyFile(in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("quirky.dcm").path
        try FileManager.default.copyItem(atPath: ProcessCLITests.mono1, toPath: path)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let edits = ["(0008,0005)=ISO_IR 999", "(0010,0010)=Quirky^Phi^Name", "(0010,0020)=PHIID4711",
                     "(0010,0030)=1940-03-05", "(0010,1000)=PHIOTHER\\PHIOTHER2", "(0010,4000)=PHICOMMENT PHICOMMENT",
                     "(0011,0010)=PHIPRIVATE"]  // a private creator (dcmodify cannot insert private values)
        let r = try Tool.run(dcmodify, ["-nb", "-ie"] + edits.flatMap { ["-i", $0] } + [path])
        #expect(r.status == 0, "\(r.stderr)")
        // Explicit VR little endian: "PN", a 2-byte length of 16 (the name padded with a space). Made 15.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("Quirky^Phi^Name ".utf8)
        let at = try #require((0..<(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        #expect(Array(bytes[(at - 4)..<at]) == [0x50, 0x4E, 16, 0])
        bytes[at - 2] = 15
        bytes.remove(at: at + 15)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("process, inspect and classify --verbose print DCMTK's warnings but no patient data, also for a failing file")
    func verboseOutputHasNoPHI() throws {
        let input = TestPaths.temporaryDirectory("phi-in")
        let quirky = try Self.quirkyFile(in: input)
        let whole = try Data(contentsOf: URL(fileURLWithPath: quirky))
        try whole.prefix(whole.count - 1000).write(to: input.appendingPathComponent("quirky-truncated.dcm"))
        let out = TestPaths.temporaryDirectory("phi-out")

        let process = try CLI.run(["process", "--verbose", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(process.status == 1, "\(process.stdout)\n\(process.stderr)")
        #expect(process.stderr.contains("quirky-truncated.dcm: truncated"), "\(process.stderr)")
        #expect(process.stderr.contains("W: DcmItem: Length of element (0010,0010) is odd"), "DCMTK's diagnostics were not shown")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("quirky.sr.dcm").path), "the quirky file was not processed")
        let inspect = try CLI.run(["inspect", "--verbose", quirky])
        #expect(inspect.status == 0)
        let classify = try CLI.run(["classify", "--verbose", input.path])

        var texts = ["process stdout": process.stdout, "process stderr": process.stderr,
                     "inspect stdout": inspect.stdout, "inspect stderr": inspect.stderr,
                     "classify stdout": classify.stdout, "classify stderr": classify.stderr]
        for file in ["report.html", "results.json", "results.csv"] {
            texts[file] = try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
        }
        for (label, text) in texts {
            for phi in Self.phi { #expect(!text.contains(phi), "\(label) shows \(phi)") }
        }
    }
}
