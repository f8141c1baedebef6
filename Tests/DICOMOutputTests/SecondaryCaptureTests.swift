import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct SecondaryCaptureTests {
    let dir = TestPaths.temporaryDirectory("sc")
    let sourcePath = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")

    /// The source rendered to 8 bits, a top-20 % mask and a rectangle mask.
    func grayAndMasks() throws -> (Radiograph, [UInt8], [Bool], [Bool]) {
        let image = try RadiographLoader.load(path: sourcePath)
        let gray = image.pixels.map { UInt8(($0 * 255).rounded()) }
        let threshold = image.pixels.sorted()[Int(Double(image.pixels.count) * 0.8)]
        let top = image.pixels.map { $0 >= threshold }
        let rect = (0..<image.pixels.count).map { i in (100..<200).contains(i / image.width) && (50..<150).contains(i % image.width) }
        return (image, gray, top, rect)
    }

    func makeGraySC(source: DICOMFile, gray: [UInt8], masks: [[Bool]], width: Int, height: Int) throws -> DICOMFile {
        let sourceUID = source.text("SOPInstanceUID")!
        var sc = SecondaryCapture(
            width: width, height: height, pixels: .gray8(gray),
            sopInstanceUID: DICOMUID.derived(kind: "sc-gray:test|\(sourceUID)", inputSHA256: "0", settingsDigest: "0"),
            seriesInstanceUID: DICOMUID.series(kind: "test", studyInstanceUID: source.text("StudyInstanceUID")!, settingsDigest: "0"),
            seriesNumber: 9001, seriesDescription: "Test overlay", derivationDescription: "test")
        sc.overlays = masks.enumerated().map { .init(mask: $1, label: "M\($0)", description: "mask \($0)") }
        return try sc.build(source: source)
    }

    @Test("grayscale SC with two overlay planes: dciodvfy, dcentvfy and pydicom agree with what was written")
    func grayWithOverlays() throws {
        let (image, gray, top, rect) = try grayAndMasks()
        let source = try DICOMFile(path: sourcePath)
        let out = dir.appendingPathComponent("gray.dcm").path
        try makeGraySC(source: source, gray: gray, masks: [top, rect], width: image.width, height: image.height)
            .save(to: out, keepTransferSyntax: false)

        let written = try DICOMFile(path: out)
        #expect(written.text("SOPClassUID") == SecondaryCapture.sopClassUID)
        #expect(written.text("StudyInstanceUID") == source.text("StudyInstanceUID"))
        #expect(written.text("PatientID") == source.text("PatientID"))
        #expect(written.text("SourceImageSequence[0].ReferencedSOPInstanceUID") == source.text("SOPInstanceUID"))
        #expect(written.text("ConversionType") == "WSD")
        #expect(written.string("ImageType") == "DERIVED\\SECONDARY")
        #expect(written.text("(6000,0040)") == "R")
        #expect(written.number("(6000,1301)").map(Int.init) == top.filter { $0 }.count)
        #expect(written.number("(6002,1301)") == 10000)

        if let verdict = try DICOMChecks.dciodvfy(out) {
            #expect(verdict.errors.isEmpty, "\(verdict.errors)")
        } else if Tool.required { Issue.record("dciodvfy missing") }
        if let entities = try DICOMChecks.dcentvfy([sourcePath, out]) {
            #expect(entities.status == 0, "\(entities.output)")
        } else if Tool.required { Issue.record("dcentvfy missing") }
        if let read = try DICOMChecks.pydicomRead(out, overlayGroup: 0x6000) {
            #expect(read.pixels == gray.map(UInt16.init))
            #expect(read.overlay == top.map { $0 ? 1 : 0 })
        } else if Tool.required { Issue.record("pydicom missing") }
        if let read = try DICOMChecks.pydicomRead(out, overlayGroup: 0x6002) {
            #expect(read.overlay == rect.map { $0 ? 1 : 0 })
        }
    }

    @Test("DCMTK's renderer draws the overlay (dcmj2pnm +Omr differs from -O)")
    func dcmtkDrawsOverlay() throws {
        guard let tool = Tool.find("dcmj2pnm") else {
            if Tool.required { Issue.record("dcmj2pnm missing") }
            return
        }
        let (image, gray, _, rect) = try grayAndMasks()
        let out = dir.appendingPathComponent("ovl.dcm").path
        try makeGraySC(source: try DICOMFile(path: sourcePath), gray: gray, masks: [rect], width: image.width, height: image.height)
            .save(to: out, keepTransferSyntax: false)
        let with = dir.appendingPathComponent("with.pgm").path, without = dir.appendingPathComponent("without.pgm").path
        #expect(try Tool.run(tool, ["+Omr", "+Osf", "1", out, with]).status == 0)
        #expect(try Tool.run(tool, ["-O", out, without]).status == 0)
        let a = [UInt8](try Data(contentsOf: URL(fileURLWithPath: with)))
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: without)))
        #expect(a.count == b.count)
        let differing = zip(a, b).filter { $0 != $1 }.count
        #expect(differing > 0 && differing <= 10000, "\(differing) pixels differ")
    }

    @Test("RGB SC: pixels read back equal")
    func rgb() throws {
        let source = try DICOMFile(path: sourcePath)
        let (w, h) = (64, 48)
        let rgb = (0..<(w * h * 3)).map { UInt8(($0 * 7) % 256) }
        let sc = SecondaryCapture(width: w, height: h, pixels: .rgb8(rgb),
                                  sopInstanceUID: "2.25.1234", seriesInstanceUID: "2.25.5678", seriesNumber: 9002,
                                  seriesDescription: "RGB", derivationDescription: "test heatmap")
        let out = dir.appendingPathComponent("rgb.dcm").path
        try sc.build(source: source).save(to: out, keepTransferSyntax: false)
        if let verdict = try DICOMChecks.dciodvfy(out) { #expect(verdict.errors.isEmpty, "\(verdict.errors)") }
        if let read = try DICOMChecks.pydicomRead(out) {
            #expect(read.pixels == rgb.map(UInt16.init))
        } else if Tool.required { Issue.record("pydicom missing") }
    }

    @Test("building the same SC twice gives byte-identical files (deterministic UIDs, no timestamps)")
    func deterministic() throws {
        let (image, gray, top, _) = try grayAndMasks()
        let a = dir.appendingPathComponent("a.dcm").path, b = dir.appendingPathComponent("b.dcm").path
        try makeGraySC(source: try DICOMFile(path: sourcePath), gray: gray, masks: [top], width: image.width, height: image.height)
            .save(to: a, keepTransferSyntax: false)
        try makeGraySC(source: try DICOMFile(path: sourcePath), gray: gray, masks: [top], width: image.width, height: image.height)
            .save(to: b, keepTransferSyntax: false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    }

    @Test("inconsistent input is refused before anything is written")
    func validation() throws {
        var sc = SecondaryCapture(width: 4, height: 4, pixels: .gray8([0, 1, 2]), sopInstanceUID: "2.25.1",
                                  seriesInstanceUID: "2.25.2", seriesNumber: 1, seriesDescription: "", derivationDescription: "")
        #expect(throws: DICOMWriteError.self) { try sc.validate() }
        sc.pixels = .gray8([UInt8](repeating: 0, count: 16))
        sc.overlays = [.init(mask: [true], label: "", description: "")]
        #expect(throws: DICOMWriteError.self) { try sc.validate() }
        sc.overlays = []
        sc.sopInstanceUID = "1.02"
        #expect(throws: DICOMWriteError.self) { try sc.validate() }
    }
}

/// PNG/JPEG → DICOM and the size guards, on files the tests make.
struct ConversionTests {
    let dir = TestPaths.temporaryDirectory("convert")

    @Test("a 16-bit PNG converts with its values exact and no view attribute (the SC IOD has none)")
    func png16() throws {
        let values: [UInt16] = (0..<(32 * 16)).map { UInt16(($0 * 97) % 4096) }
        let png = dir.appendingPathComponent("padchest-like.png").path
        _ = FileManager.default.createFile(atPath: png, contents: Data(MinimalPNG.encode(width: 32, height: 16, bitDepth: 16, colorType: 0, samples: values)))
        var options = RasterConversion.Options()
        options.patientID = "P1"
        let out = dir.appendingPathComponent("padchest-like.dcm").path
        try RasterConversion.makeSecondaryCapture(path: png, options: options).save(to: out, keepTransferSyntax: false)
        let file = try DICOMFile(path: out)
        #expect(try file.decodeStoredValues() == values.map(Int32.init))
        #expect(file.text("ViewPosition") == nil)
        #expect(file.sequenceCount("ViewCodeSequence") == 0)
        #expect(file.text("PatientID") == "P1")
        #expect(file.number("BitsStored") == 16)
        if let verdict = try DICOMChecks.dciodvfy(out) {
            #expect(verdict.errors.isEmpty, "\(verdict.errors)")
        } else if Tool.required { Issue.record("dciodvfy missing") }
        if let read = try DICOMChecks.pydicomRead(out) {
            #expect(read.pixels == values)
        } else if Tool.required { Issue.record("pydicom missing") }
        // Same file → same UIDs.
        let again = try RasterConversion.makeSecondaryCapture(path: png, options: options)
        #expect(again.text("SOPInstanceUID") == file.text("SOPInstanceUID"))
        #expect(again.text("StudyInstanceUID") == file.text("StudyInstanceUID"))
    }

    /// Writes a gray PNG, converts it, and returns both files' display values.
    func displays(of values: [UInt16], side: Int, bitDepth: Int, name: String) throws -> ([Float], [Float]) {
        let png = dir.appendingPathComponent("\(name).png").path
        _ = FileManager.default.createFile(atPath: png, contents: Data(MinimalPNG.encode(width: side, height: side, bitDepth: bitDepth, colorType: 0, samples: values)))
        let out = dir.appendingPathComponent("\(name).dcm").path
        try RasterConversion.makeSecondaryCapture(path: png).save(to: out, keepTransferSyntax: false)
        return (try RadiographLoader.load(path: png).pixels, try RadiographLoader.load(path: out).pixels)
    }

    @Test("the display of a converted 8-bit image matches the image's own display")
    func displayKept8() throws {
        let (a, b) = try displays(of: (0..<(16 * 16)).map { UInt16(($0 * 5) % 200 + 20) }, side: 16, bitDepth: 8, name: "g8")
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("the display of a converted 16-bit PNG matches the PNG's own display")
    func displayKept() throws {
        let (a, b) = try displays(of: (0..<(40 * 40)).map { UInt16(1000 + ($0 * 13) % 3000) }, side: 40, bitDepth: 16, name: "w")
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("DICOM headers declaring absurd sizes or more pixels than present are refused")
    func sizeGuards() throws {
        func write(rows: Int, columns: Int, pixelBytes: Int, name: String, frames: String? = nil) throws -> String {
            let ds = DICOMFile.empty(name: name)
            if let frames { try ds.put("NumberOfFrames", frames) }
            for (k, v) in [("SOPClassUID", SecondaryCapture.sopClassUID), ("SOPInstanceUID", "2.25.99"), ("StudyInstanceUID", "2.25.98"),
                           ("Rows", String(rows)), ("Columns", String(columns)), ("BitsAllocated", "16"), ("BitsStored", "12"),
                           ("HighBit", "11"), ("SamplesPerPixel", "1"), ("PhotometricInterpretation", "MONOCHROME2"),
                           ("PixelRepresentation", "0")] {
                try ds.put(k, v)
            }
            try ds.putWords(.pixelData, [UInt16](repeating: 7, count: pixelBytes / 2))
            let path = dir.appendingPathComponent(name).path
            try ds.save(to: path, keepTransferSyntax: false)
            return path
        }
        let huge = try write(rows: 60000, columns: 60000, pixelBytes: 64, name: "huge.dcm")
        do { _ = try RadiographLoader.load(path: huge); Issue.record("huge image loaded") } catch {
            guard case .tooLarge(let file, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == huge)
        }
        let short = try write(rows: 100, columns: 100, pixelBytes: 50, name: "short.dcm")
        do { _ = try RadiographLoader.load(path: short); Issue.record("short image loaded") } catch {
            guard case .truncated = error else { Issue.record("wrong error \(error)"); return }
        }
        // A frame-count bomb: 2^31 − 1 frames declared over 64 bytes of pixel data. Refused from the header,
        // before any frame is located or allocated.
        let frames = try write(rows: 4000, columns: 4000, pixelBytes: 64, name: "frames.dcm", frames: "2147483647")
        do { _ = try RadiographLoader.load(path: frames); Issue.record("frame bomb loaded") } catch {
            guard case .multiFrame(let file, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == frames)
            #expect(reason == "multi-frame image (2147483647 frames) is not supported")
        }
    }
}
