import Foundation
import TestSupport
import Testing

/// Patient names in other character sets than ASCII: the report and results show them as text, derived objects
/// keep the source's bytes and character set, and `convert` declares UTF-8 when it writes non-ASCII text.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct CharacterSetCLITests {
    /// (file, Specific Character Set or nil, the name as text, raw bytes to write when no character set says how).
    static let cases: [(String, String?, String)] = [
        ("latin1", "ISO_IR 100", "Müller^Jürgen"),
        ("utf8", "ISO_IR 192", "山田^太郎"),
        ("jis", "\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ("undeclared-latin1", nil, "Müller^Jürgen"),
        ("undeclared-utf8", nil, "Łukasz^Żółć"),
    ]

    /// pydicom encodes each name in its character set (an encoder independent of DCMTK); a file without one gets
    /// the bytes as they are (Latin-1 or UTF-8, as such files are found).
    static func writeInputs(to folder: URL) throws {
        let python = try #require(Tool.python)
        try #require(Tool.pydicomAvailable, "pydicom is needed")
        let script = """
        import sys, pydicom
        src, folder = sys.argv[1], sys.argv[2]
        cases = [("latin1", "ISO_IR 100", "Müller^Jürgen"), ("utf8", "ISO_IR 192", "山田^太郎"),
                 ("jis", ["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
                 ("undeclared-latin1", None, "Müller^Jürgen".encode("latin-1")),
                 ("undeclared-utf8", None, "Łukasz^Żółć".encode("utf-8"))]
        for i, (name, charset, value) in enumerate(cases):
            ds = pydicom.dcmread(src)
            if charset is None:
                del ds.SpecificCharacterSet
                ds[0x00100010] = pydicom.DataElement(0x00100010, "PN", value)
            else:
                ds.SpecificCharacterSet = charset
                ds.PatientName = value
            ds.SOPInstanceUID = "2.25.%d" % (7000 + i)
            ds.save_as(f"{folder}/{name}.dcm")
        """
        #expect(try Tool.run(python, ["-c", script, TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm"), folder.path]).status == 0)
    }

    @Test("names in Latin-1, UTF-8, ISO 2022 (Japanese) and undeclared bytes read as text in results; SRs keep the source's bytes")
    func namesInResults() throws {
        let root = TestPaths.temporaryDirectory("charsets")
        let input = root.appendingPathComponent("in"), out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Self.writeInputs(to: input)
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--show-phi"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as! [String: Any]
        let names = Dictionary(uniqueKeysWithValues: (json["images"] as! [[String: Any]]).map {
            (($0["relativePath"] as! NSString).deletingPathExtension, $0["patientName"] as? String)
        })
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        for (file, _, name) in Self.cases {
            #expect(names[file] == name, "\(file)")
            #expect(html.contains(name), "\(file): the report shows \(name)")
        }
        // The SR copies the Patient module as the source has it: the same bytes, the same character set.
        let compare = """
        import sys, pydicom
        def raw(path, tag):  # the value as stored (pydicom decodes Specific Character Set itself on reading: a CS)
            e = pydicom.dcmread(path).get_item(tag)
            return None if e is None else e.value if isinstance(e.value, (bytes, str)) else "\\\\".join(e.value)
        for name in sys.argv[3:]:
            a, b = f"{sys.argv[1]}/{name}.dcm", f"{sys.argv[2]}/{name}.sr.dcm"
            same = all(raw(a, t) == raw(b, t) for t in (0x00080005, 0x00100010)) and raw(a, 0x00100010)
            print(name, "same" if same else "differs")
        """
        let files = Self.cases.map(\.0)
        let r2 = try Tool.run(try #require(Tool.python), ["-c", compare, input.path, out.path] + files)
        #expect(r2.stdout == files.map { "\($0) same\n" }.joined(), "\(r2.stdout)\(r2.stderr)")
    }

    @Test("convert with a non-ASCII patient name declares ISO_IR 192; dciodvfy and pydicom read it back as given")
    func convertDeclaresUTF8() throws {
        let root = TestPaths.temporaryDirectory("charset-convert")
        let out = root.appendingPathComponent("x.dcm").path
        let png = TestPaths.viewData.appendingPathComponent("L/000002-3.png").path
        let r = try CLI.run(["convert", png, "--out", out, "--patient-name", "Müller^Jürgen", "--patient-id", "Ö-1"])
        #expect(r.status == 0, "\(r.stderr)")
        let python = try #require(Tool.python)
        try #require(Tool.pydicomAvailable, "pydicom is needed")
        let read = try Tool.run(python, ["-c", "import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); print(d.SpecificCharacterSet, d.PatientName, d.PatientID, sep='|')", out])
        #expect(read.stdout == "ISO_IR 192|Müller^Jürgen|Ö-1\n", "\(read.stdout)\(read.stderr)")
        if let v = try DICOMChecks.dciodvfy(out) { #expect(v.errors.isEmpty, "\(v.errors)") }
        // ASCII alone declares nothing (the default repertoire), as before.
        let plain = root.appendingPathComponent("plain.dcm").path
        #expect(try CLI.run(["convert", png, "--out", plain, "--patient-name", "Doe^Jane"]).status == 0)
        let plainRead = try Tool.run(python, ["-c", "import sys, pydicom; print('SpecificCharacterSet' in pydicom.dcmread(sys.argv[1]))", plain])
        #expect(plainRead.stdout == "False\n", "\(plainRead.stdout)\(plainRead.stderr)")
    }

    @Test("convert refuses values their VR or value multiplicity does not allow, as a usage error naming the option",
          arguments: [
              (["--patient-id", String(repeating: "x", count: 65)], "--patient-id (PatientID): a value of 65 characters, more than the 64 LO allows"),
              (["--patient-name", "Doe\\Jane"], "--patient-name (PatientName): 2 values (separated by \\), the attribute takes 1"),
              (["--patient-name", String(repeating: "山", count: 65)], "--patient-name (PatientName): a value of 65 characters, more than the 64 PN allows"),
              (["--accession", "12345678901234567"], "--accession (AccessionNumber): a value of 17 characters, more than the 16 SH allows"),
          ])
    func convertValidatesValues(arguments: [String], message: String) throws {
        let out = TestPaths.temporaryDirectory("charset-invalid").appendingPathComponent("x.dcm").path
        let png = TestPaths.viewData.appendingPathComponent("L/000002-3.png").path
        let r = try CLI.run(["convert", png, "--out", out] + arguments)
        #expect(r.status == 2 && r.stderr.contains("Error: \(message)\n"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("the longest values allowed are written: 64 characters of UTF-8 per PN component group, 16 of SH")
    func convertAcceptsLimits() throws {
        let out = TestPaths.temporaryDirectory("charset-limits").appendingPathComponent("x.dcm").path
        let png = TestPaths.viewData.appendingPathComponent("L/000002-3.png").path
        let name = "Yamada^Tarou=" + String(repeating: "山", count: 64)
        let r = try CLI.run(["convert", png, "--out", out, "--patient-name", name, "--accession", "1234567890123456"])
        #expect(r.status == 0, "\(r.stderr)")
        let read = try Tool.run(try #require(Tool.python), ["-c", "import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); print(d.PatientName, d.AccessionNumber)", out])
        #expect(read.stdout == "\(name) 1234567890123456\n", "\(read.stderr)")
    }
}
