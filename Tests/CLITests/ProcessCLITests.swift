import Foundation
import Preprocess
import TestSupport
import Testing

/// `cxr-explain process` end to end on a small tree made from the shared files: header policy, outputs
/// valid by dciodvfy, the SR's references, failures, resuming, --in-place, and no patient data in the report.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct ProcessCLITests {
    static let rg1 = TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm")
    static let mono1 = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
    static let lateralPNG = TestPaths.viewData.appendingPathComponent("L/000002-3.png").path

    /// studyA/rg1.dcm (header PA), studyA/no-view.dcm (the MONOCHROME1 chest without ViewPosition),
    /// studyA/said-lateral.dcm (the same with header LL: the model says frontal), studyB/lateral.png,
    /// studyB/broken.dcm (a preamble and nothing else), notes.txt.
    static func makeTree() throws -> URL {
        let root = TestPaths.temporaryDirectory("process-in")
        let fm = FileManager.default
        for folder in ["studyA", "studyB"] { try fm.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true) }
        try fm.copyItem(atPath: rg1, toPath: root.appendingPathComponent("studyA/rg1.dcm").path)
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let noView = root.appendingPathComponent("studyA/no-view.dcm").path
        try fm.copyItem(atPath: mono1, toPath: noView)
        #expect(try Tool.run(dcmodify, ["-nb", "-e", "(0018,5101)", noView]).status == 0)
        let lat = root.appendingPathComponent("studyA/said-lateral.dcm").path
        try fm.copyItem(atPath: mono1, toPath: lat)
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0018,5101)=LL", lat]).status == 0)
        try fm.copyItem(atPath: lateralPNG, toPath: root.appendingPathComponent("studyB/lateral.png").path)
        try Data([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + [1, 2, 3]).write(to: root.appendingPathComponent("studyB/broken.dcm"))
        try Data("not an image\n".utf8).write(to: root.appendingPathComponent("notes.txt"))
        return root
    }

    /// `classify --json`'s decision per file name: what `process` must act on.
    static func decisions(_ paths: [String]) throws -> [String: (outcome: String, view: String?)] {
        let r = try CLI.run(["classify", "--json"] + paths)
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: list.map { item in
            let d = item["decision"] as! [String: Any]
            let view = (d["view"] as? [String: Any])?["name"] as? String
            return ((item["file"] as! NSString).lastPathComponent, (d["outcome"] as! String, view))
        })
    }

    /// SHA-256 of every file under `root`, by relative path.
    static func digests(_ root: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for case let rel as String in FileManager.default.enumerator(atPath: root.path)! {
            var isDir: ObjCBool = false
            let path = root.appendingPathComponent(rel).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue { out[rel] = try Digest.sha256Hex(ofFileAt: path) }
        }
        return out
    }

    struct Results: Decodable {
        struct Image: Decodable {
            struct Output: Decodable { var path: String; var kind: String; var sopInstanceUID: String? }
            var relativePath: String; var status: String; var view: String?; var agreement: String?; var headerAction: String?
            var outputs: [Output]; var error: String?
            var probability: Double?; var networkProbability: Double?; var probeProbability: Double?
        }
        var images: [Image]
    }

    static func results(_ out: URL) throws -> [String: Results.Image] {
        let r = try JSONDecoder().decode(Results.self, from: Data(contentsOf: out.appendingPathComponent("results.json")))
        return Dictionary(uniqueKeysWithValues: r.images.map { ($0.relativePath, $0) })
    }

    @Test("a study tree: header policy, valid outputs, SR references, one failure listed, inputs untouched; a rerun skips and changes nothing")
    func studyTree() throws {
        let input = try Self.makeTree()
        let out = TestPaths.temporaryDirectory("process-out")
        let before = try Self.digests(input)
        // Grad-CAM of the networks and the map of the shipped model's feature probe: each method's objects are checked.
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "probe"])
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("broken.dcm") && r.stderr.contains("1 input(s) failed"))
        #expect(try Self.digests(input) == before, "inputs changed")
        let images = try Self.results(out)
        #expect(Set(images.keys) == ["studyA/rg1.dcm", "studyA/no-view.dcm", "studyA/said-lateral.dcm", "studyB/lateral.png", "studyB/broken.dcm", "notes.txt"])
        #expect(images["studyB/broken.dcm"]?.status == "failed")
        #expect(images["notes.txt"]?.status == "skipped", "every file is listed: a note as skipped, not an image")
        // process acts on the decision classify shows for the same file.
        let decided = try Self.decisions(["studyA/rg1.dcm", "studyA/no-view.dcm", "studyA/said-lateral.dcm", "studyB/lateral.png"]
            .map { input.appendingPathComponent($0).path })
        for (rel, image) in images where image.status == "done" {
            let d = try #require(decided[(rel as NSString).lastPathComponent])
            #expect(image.view == d.view, "\(rel): process \(image.view ?? "none"), classify \(d.view ?? "none")")
        }
        // The MONOCHROME1 chest is a sure PA for the shipped model, and the lateral PNG a sure lateral: the
        // writing paths below are exercised.
        #expect(decided["no-view.dcm"]?.view == "PA" && decided["lateral.png"]?.view == "L")
        // No header view + a certain view on a CR → tagged copy with ViewPosition only, the insertion recorded.
        #expect(images["studyA/no-view.dcm"]?.headerAction == "tagged")
        let tagged = try DICOMFile(path: out.appendingPathComponent("studyA/no-view.dcm").path)
        #expect(tagged.text("ViewPosition") == "PA" && tagged.sequenceCount("ViewCodeSequence") == 0)
        #expect(tagged.string("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewPosition") == "")
        // rg1's header already says PA: whatever the decision, no copy (agree → unchanged; AP → kept; none → uncertain).
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("studyA/rg1.dcm").path), "rg1 got a tagged copy")
        let lat = try #require(images["studyA/said-lateral.dcm"])
        #expect(lat.view == "PA" && lat.agreement == "disagree" && lat.headerAction == "kept-different")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("studyA/said-lateral.dcm").path), "a disagreeing header was copied")
        // The converted PNG is a Secondary Capture: its IOD has no view attribute; the view is in the SR.
        #expect(images["studyB/lateral.png"]?.view == "L" && images["studyB/lateral.png"]?.headerAction == "not-in-iod")
        let converted = try DICOMFile(path: out.appendingPathComponent("studyB/lateral.dcm").path)
        #expect(converted.text("ViewPosition") == nil && converted.sequenceCount("ViewCodeSequence") == 0)
        let srPath = out.appendingPathComponent(try #require(images["studyB/lateral.png"]?.outputs.first { $0.kind == "SR" }).path).path
        #expect(try Tool.run("dcmdump", ["+L", srPath]).stdout.contains("399173006"), "the SR lacks the lateral's SNOMED CT code")

        #expect(images["studyA/no-view.dcm"]?.outputs.contains { $0.kind == "tagged copy" } == true)
        // Every SC, Parametric Map and SR passes dciodvfy, and the SR names the source and every object of the image.
        for image in images.values where image.status == "done" {
            // The shipped model mixes the networks and the probe: each part's probability of the most likely class is kept
            // beside the decision's.
            let parts = [image.networkProbability, image.probeProbability, image.probability].compactMap { $0 }
            #expect(parts.count == 3 && parts.allSatisfy { $0 > 0 && $0 <= 1 }, "\(image.relativePath): \(parts)")
            #expect(image.outputs.filter { $0.kind.hasSuffix("Parametric Map") }.count == 2, "one Parametric Map per method")
            #expect(image.outputs.filter { $0.kind.hasSuffix("presentation state") }.count == 2, "one presentation state per method")
            for o in image.outputs where o.kind.contains("SC") || o.kind == "SR" || o.kind.hasSuffix("Parametric Map") || o.kind.hasSuffix("presentation state") {
                if let v = try DICOMChecks.dciodvfy(out.appendingPathComponent(o.path).path) { #expect(v.errors.isEmpty, "\(o.path): \(v.errors)") }
                // Nor a warning of their own (a GSPS once said Laterality empty, "unknown", for a chest): against the
                // DICOM input, or for a PNG input against the Secondary Capture it was converted into. That has no
                // Body Part Examined, so its presentation state's Laterality stays empty, "unknown" (absent would be
                // a dciodvfy error; see PresentationStateOutline): the one warning allowed.
                let fromPNG = !image.relativePath.hasSuffix(".dcm")
                let sourcePath = fromPNG ? image.outputs.first { $0.kind == "converted" }.map { out.appendingPathComponent($0.path).path }
                    : input.appendingPathComponent(image.relativePath).path
                #expect(sourcePath != nil, "\(image.relativePath): no converted DICOM")
                if let sourcePath, let mine = try DICOMChecks.dciodvfyWarnings(out.appendingPathComponent(o.path).path),
                   let source = try DICOMChecks.dciodvfyWarnings(sourcePath) {
                    let allowed: Set<String> = fromPNG && o.kind.hasSuffix("presentation state")
                        ? ["Warning - is only permitted to be empty when actually unknown; should be absent (not empty) if an unpaired body part, and have a value if a paired body part - attribute <Laterality>"] : []
                    #expect(mine.subtracting(source).subtracting(allowed).isEmpty, "\(o.path): \(mine.subtracting(source))")
                }
            }
            // A tagged copy (studyA/no-view.dcm gets one), as the pipeline writes it (its Modifying System naming version and model), adds no
            // dciodvfy finding to its source's own.
            for o in image.outputs where o.kind == "tagged copy" {
                let source = input.appendingPathComponent(image.relativePath).path
                if let before = try DICOMChecks.dciodvfyFindings(source), let after = try DICOMChecks.dciodvfyFindings(out.appendingPathComponent(o.path).path) {
                    #expect(after.subtracting(before).isEmpty, "\(o.path): \(after.subtracting(before))")
                }
            }
            let sr = try DICOMFile(path: out.appendingPathComponent(try #require(image.outputs.first { $0.kind == "SR" }).path).path)
            #expect(sr.text("SOPClassUID") == "1.2.840.10008.5.1.4.1.1.88.33")
            let dump = try Tool.run("dcmdump", ["+L", out.appendingPathComponent(image.outputs.first { $0.kind == "SR" }!.path).path]).stdout
            for o in image.outputs where o.kind.contains("SC") || o.kind.hasSuffix("Parametric Map") || o.kind.hasSuffix("presentation state") {
                #expect(dump.contains(o.sopInstanceUID!), "SR lacks \(o.path)")
            }
        }

        // Patient data of rg1 (name, ID, birth date) stays out of the report, the results and the output.
        for file in ["report.html", "results.json", "results.csv"] {
            let text = try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
            for phi in ["CompressedSamples", "9RG1", "19400305"] { #expect(!text.contains(phi), "\(file) shows \(phi)") }
        }
        for phi in ["CompressedSamples", "9RG1"] { #expect(!(r.stdout + r.stderr).contains(phi)) }

        // A rerun skips the finished images and writes the same bytes (results.json and the run records
        // carry timings, which differ).
        func outputs() throws -> [String: String] {
            try Self.digests(out).filter { !$0.key.hasPrefix(".cxr-explain") && $0.key != "results.json" }
        }
        let first = try outputs()
        let again = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "probe"])
        #expect(again.status == 1)
        #expect(again.stdout.components(separatedBy: "(done before, skipped)").count - 1 == 4, "\(again.stdout)")
        #expect(try outputs() == first)
    }

    @Test("--in-place tags the input through a rename: only the view attributes change; --overwrite-view replaces a different view")
    func inPlaceAndOverwrite() throws {
        let input = TestPaths.temporaryDirectory("process-inplace")
        let file = input.appendingPathComponent("no-view.dcm").path
        try FileManager.default.copyItem(atPath: Self.mono1, toPath: file)
        _ = try Tool.run("dcmodify", ["-nb", "-e", "(0018,5101)", file])
        let lat = input.appendingPathComponent("said-lateral.dcm").path
        try FileManager.default.copyItem(atPath: Self.mono1, toPath: lat)
        _ = try Tool.run("dcmodify", ["-nb", "-m", "(0018,5101)=LL", lat])
        let latBefore = try Digest.sha256Hex(ofFileAt: lat)
        let dumpBefore = try Tool.run("dcmdump", ["-q", file]).stdout
        let tailBefore = try DICOMChecks.pixelDataTail(file)
        // A read-only file keeps its permissions.
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file)
        // A link (followed with --follow-links) to a film kept elsewhere: the film is tagged, the link stays a link.
        let archive = TestPaths.temporaryDirectory("process-inplace-archive").appendingPathComponent("film.dcm").path
        try FileManager.default.copyItem(atPath: file, toPath: archive)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: archive)
        // Tests run as root here: then the film's owner is kept too.
        let isRoot = getuid() == 0
        if isRoot { #expect(chown(archive, 1234, 5678) == 0) }
        let link = input.appendingPathComponent("linked.dcm").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: archive)
        let out = TestPaths.temporaryDirectory("process-inplace-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--in-place", "--follow-links"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue == 0o444)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == archive, "the link was replaced by a file")
        #expect(try DICOMFile(path: archive).text("ViewPosition") == "PA", "the linked film was not tagged")
        #expect((try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        if isRoot {
            let attributes = try FileManager.default.attributesOfItem(atPath: archive)
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 1234 && (attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 5678)
        }
        #expect(try Digest.sha256Hex(ofFileAt: archive) == (try Digest.sha256Hex(ofFileAt: file)), "the same film, tagged the same way")
        #expect(try DICOMChecks.pixelDataTail(file) == tailBefore)
        #expect(try Digest.sha256Hex(ofFileAt: lat) == latBefore, "a disagreeing header was changed without --overwrite-view")
        let dumpAfter = try Tool.run("dcmdump", ["-q", file]).stdout
        // Everything outside ViewPosition and Original Attributes Sequence is the same, line for line (group lengths
        // aside; the meta header's writer is now us).
        func stripped(_ dump: String) -> [String] {
            var lines: [String] = [], inOriginal = false
            for line in dump.split(separator: "\n").map(String.init) {
                if line.hasPrefix("(0400,0561)") { inOriginal = true; continue }
                if inOriginal { if line.hasPrefix("(fffe,e0dd)") && !line.hasPrefix(" ") { inOriginal = false }; continue }
                if line.contains("GroupLength") || line.hasPrefix("(0018,5101)") || line.hasPrefix("(0002,0012)") || line.hasPrefix("(0002,0013)") { continue }
                lines.append(line)
            }
            return lines
        }
        let (a, b) = (stripped(dumpBefore), stripped(dumpAfter))
        #expect(a == b, "changed beyond the view: \(b.filter { !a.contains($0) }.prefix(8)) replaced \(a.filter { !b.contains($0) }.prefix(8))")
        let taggedInput = try DICOMFile(path: file)
        #expect(taggedInput.text("ViewPosition") == "PA" && taggedInput.sequenceCount("OriginalAttributesSequence") == 1)
        #expect(dumpAfter.contains("(0002,0013) SH [CXREXPLAIN_"), "the meta header does not name its writer")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("no-view.dcm").path), "--in-place also wrote a copy")

        let out2 = TestPaths.temporaryDirectory("process-overwrite-out")
        let o = try CLI.run(["process", lat, "--out", out2.path, "--methods", "gradcam", "--overwrite-view"])
        #expect(o.status == 0, "\(o.stderr)")
        let copy = try DICOMFile(path: out2.appendingPathComponent("said-lateral.dcm").path)
        #expect(copy.text("ViewPosition") == "PA")
        #expect(copy.text("OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewPosition") == "LL")
    }

    @Test("--anonymize: no patient data or source UIDs in any object written, one replaced study UID, valid objects, no tagged copy")
    func anonymize() throws {
        let input = TestPaths.temporaryDirectory("anon-in")
        let file = input.appendingPathComponent("rg1.dcm").path
        try FileManager.default.copyItem(atPath: Self.rg1, toPath: file)
        let source = try DICOMFile(path: file)
        let sourceUIDs = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"].compactMap { source.text($0) }
        let out = TestPaths.temporaryDirectory("anon-out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam", "--anonymize"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".dcm") }.sorted()
        #expect(written == ["rg1.gradcam.gray.dcm", "rg1.gradcam.gsps.dcm", "rg1.gradcam.pmap.dcm", "rg1.gradcam.rgb.dcm", "rg1.sr.dcm"])
        var studies = Set<String>()
        for name in written {
            let path = out.appendingPathComponent(name).path
            let dump = try Tool.run("dcmdump", ["+L", "-q", path]).stdout
            for secret in ["CompressedSamples", "9RG1", "19400305"] + sourceUIDs { #expect(!dump.contains(secret), "\(name) holds \(secret)") }
            let f = try DICOMFile(path: path)
            #expect(f.text("PatientIdentityRemoved") == "YES")
            studies.insert(try #require(f.text("StudyInstanceUID")))
            if let v = try DICOMChecks.dciodvfy(path) { #expect(v.errors.isEmpty, "\(name): \(v.errors)") }
        }
        #expect(studies.count == 1)
        #expect(try CLI.run(["process", input.path, "--out", out.path, "--anonymize", "--in-place"]).status == 2)
    }

    @Test("overlapping inputs: each file is processed once, under the path it was first reached by, and the overlap is named")
    func overlappingInputs() throws {
        let root = TestPaths.temporaryDirectory("process-overlap")
        let study = root.appendingPathComponent("all/studyB")
        try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.lateralPNG, toPath: study.appendingPathComponent("lateral.png").path)
        let all = root.appendingPathComponent("all").path, out = root.appendingPathComponent("out")
        let r = try CLI.run(["process", all, study.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("walked once: \(study.path) is already inside the input \(all)\n"), "\(r.stdout)")
        #expect(r.stdout.contains("process: 1 files from"), "\(r.stdout)")
        #expect(try Self.results(out).keys.sorted() == ["all/studyB/lateral.png"])
    }

    @Test("--out inside an input folder is a usage error")
    func outInsideInput() throws {
        let input = TestPaths.temporaryDirectory("process-nested")
        let r = try CLI.run(["process", input.path, "--out", input.appendingPathComponent("out").path])
        #expect(r.status == 2 && r.stderr.contains("inside the input"))
    }
}
