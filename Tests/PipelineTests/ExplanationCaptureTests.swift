import Classifier
import TensorEngine
import DICOMOutput
import Explain
import Foundation
@testable import Pipeline
import Preprocess
import TestSupport
import Testing

struct MapProjectionTests {
    @Test("a map of a padded portrait image lands on the image part only, shrunk to the size cap")
    func projection() {
        // 40 wide × 80 high, padded to 80×80 (offset x 20), network 8×8: columns 0–1 and 6–7 are padding.
        let g = InputGeometry(sourceWidth: 40, sourceHeight: 80, fit: .pad, size: 8)
        let p = MapProjection(geometry: g, maxSide: 40)
        #expect(p.outputWidth == 20 && p.outputHeight == 40)
        // A map that is 1 on the padding and 0 on the image: nothing of it may reach the output.
        let map = (0..<64).map { i -> Float in (i % 8 < 2 || i % 8 >= 6) ? 1 : 0 }
        let projected = p.map(map)
        #expect(projected.count == 800)
        // The image spans network columns 2..6; only the outermost output columns blend with padding.
        for (i, v) in projected.enumerated() {
            let x = i % 20
            if x > 1 && x < 18 { #expect(v == 0, "x = \(x)") } else { #expect(v <= 0.5, "x = \(x)") }
        }
        // Labels by nearest neighbour: column x of the output sits in network column 2 + x/5.
        let labels = p.labels((0..<64).map { Int32($0 % 8) })
        let expected: [Int32] = (0..<20).map { x in Int32(2 + x / 5) }
        #expect(Array(labels.prefix(20)) == expected)
    }

    @Test("the top region takes the top fraction, counts ties, and never marks zeros")
    func topRegion() {
        let values: [Float] = (0..<100).map { Float($0) / 100 }
        let top = MapProjection.topRegion(values, fraction: 0.2)
        #expect(top.filter { $0 }.count == 20 && top[80] && !top[79])
        let mostlyZero = [Float](repeating: 0, count: 90) + [Float](repeating: 0.5, count: 10)
        #expect(MapProjection.topRegion(mostlyZero, fraction: 0.2).filter { $0 }.count == 10)
    }

    @Test("the k-th largest value equals the sorted array's, on smooth, tied, clustered and constant maps")
    func kthLargestMatchesSort() {
        var rng = SplitMix64(seed: 7)
        let smooth = (0..<50_000).map { _ in Float(rng.next() % 1_000_000) / 1_000_000 }
        let ties = (0..<20_000).map { _ in Float(rng.next() % 7) / 7 }
        // Most values packed in one histogram bin near the top, a few far below.
        let clustered = (0..<30_000).map { i in i % 100 == 0 ? Float(-1000) : 0.9 + Float(rng.next() % 1000) * 1e-9 }
        let constant = [Float](repeating: 0.25, count: 1000)
        for values in [smooth, ties, clustered, constant] {
            let sorted = values.sorted(by: >)
            for k in [0, 1, values.count / 5, values.count / 2, values.count - 2, values.count - 1] {
                #expect(MapProjection.kthLargest(values, k) == sorted[k], "k \(k)")
            }
        }
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct ExplanationCaptureTests {
    let dir = TestPaths.temporaryDirectory("capture")
    let sourcePath = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")

    /// A synthetic LIME explanation as the suite makes one: quadrant superpixels with weights 3, −1, 2, 1; the map is
    /// each pixel's superpixel weight, min-max scaled.
    func explanation(size: Int) -> Explanation {
        let segments = (0..<(size * size)).map { Int32(($0 % size >= size / 2 ? 1 : 0) + ($0 / size >= size / 2 ? 2 : 0)) }
        let raw: [Float] = segments.map { [3, -1, 2, 1][Int($0)] }
        let lime = LIMEExplainer.Explanation(segments: segments, segmentCount: 4, weights: [3, -1, 2, 1], intercept: 0, targetClass: 0,
                                             probabilities: [0.97, 0.03], map: raw)
        let map = SaliencyMap(raw: raw, width: size, height: size, targetClass: 0, probabilities: [0.97, 0.03])
        return Explanation(method: .lime, map: map, raw: raw, lime: lime, seconds: 0)
    }

    @Test("gray and RGB SC: valid, in the source's study, overlays as projected, UIDs reproducible")
    func capture() throws {
        let source = try DICOMFile(path: sourcePath)
        let radiograph = try RadiographLoader.load(path: sourcePath)
        let options = NetworkInputOptions(size: 64)
        let input = NetworkInput(radiograph: radiograph, options: options)
        var capture = ExplanationCapture()
        capture.maxSide = 256
        capture.limeTopSuperpixels = 2
        let context = ExplanationCapture.Context(predictedView: "PA", probability: 0.97, modelName: "test", modelSHA256: "ab12",
                                                 parameters: "LIME (samples=10)", inputSHA256: "cd34", settingsDigest: "ef56")
        let e = explanation(size: 64)
        let objects = try capture.build(source: source, radiograph: radiograph, geometry: input.geometry, explanation: e, context: context)
        let again = try capture.build(source: source, radiograph: radiograph, geometry: input.geometry, explanation: e, context: context)
        #expect(objects.grayReference == again.grayReference && objects.rgbReference == again.rgbReference)
        #expect(objects.grayReference != objects.rgbReference)
        let gray = dir.appendingPathComponent("gray.dcm").path, rgb = dir.appendingPathComponent("rgb.dcm").path
        try objects.gray.save(to: gray, keepTransferSyntax: false)
        try objects.rgb.save(to: rgb, keepTransferSyntax: false)
        let written = try DICOMFile(path: gray)
        #expect(written.text("StudyInstanceUID") == source.text("StudyInstanceUID"))
        #expect(written.text("SourceImageSequence[0].ReferencedSOPInstanceUID") == source.text("SOPInstanceUID"))
        #expect(written.text("SeriesInstanceUID") == objects.seriesInstanceUID)
        #expect(try DICOMFile(path: rgb).text("SeriesInstanceUID") == objects.seriesInstanceUID)
        let projection = MapProjection(geometry: input.geometry, maxSide: 256)
        #expect(written.number("Rows") == Double(projection.outputHeight) && written.number("Columns") == Double(projection.outputWidth))
        // LIME's map is one weight per superpixel, projected by superpixel: the top region is whole superpixels (the
        // weight-3 quadrant, a quarter of the image, ties included), never strips of interpolated values.
        let segmentLabels = projection.labels(e.lime!.segments)
        let weightMap = projection.nearest(e.map.values)
        #expect(abs(objects.regionFraction - 0.25) < 0.01, "\(objects.regionFraction)")
        for path in [gray, rgb] {
            if let v = try DICOMChecks.dciodvfy(path) { #expect(v.errors.isEmpty, "\(path): \(v.errors)") }
        }
        // Given back as an input (a results folder inside the studies), the overlay capture is not classified again.
        guard case .skipped(let reason, _) = try GatedInput.read(path: gray, gate: ChestGate()) else {
            Issue.record("the gray overlay capture was classified as a radiograph"); return
        }
        #expect(reason == "a capture derived from another image (Source Image Sequence): its source is the radiograph")
        // The Parametric Map holds the projected map's float values exactly (what the RGB SC blends).
        let pmap = dir.appendingPathComponent("pmap.dcm").path
        try objects.parametricMap.save(to: pmap, keepTransferSyntax: false)
        if let v = try DICOMChecks.dciodvfy(pmap) { #expect(v.errors.isEmpty, "\(pmap): \(v.errors)") }
        // Read as an input, a Parametric Map says why it is no radiograph.
        #expect(throws: ImageReadError.noPixelData(file: pmap, reason: "no Pixel Data element, only float pixel data (a parametric map's), not a radiograph's")) {
            try RadiographLoader.load(path: pmap)
        }
        if let python = Tool.python, Tool.pydicomAvailable {
            let script = "import pydicom,sys; ds=pydicom.dcmread(sys.argv[1]); a=ds.pixel_array; print(ds.SOPClassUID, a.dtype, *a.shape); sys.stdout.write(' '.join(repr(float(v)) for v in a.ravel()))"
            let r = try Tool.run(python, ["-c", script, pmap])
            let lines = r.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
            #expect(lines.first == "1.2.840.10008.5.1.4.1.1.30 float32 \(projection.outputHeight) \(projection.outputWidth)", "\(r.stderr)")
            let read = (lines.count > 1 ? lines[1] : "").split(separator: " ").compactMap { Float(String($0)) }
            #expect(read == weightMap, "pixel_array differs from the projected map")
        }
        // The presentation state outlines the same top region on the source's pixel grid: valid by dciodvfy and
        // DCMTK's checker, every vertex inside the image, the outlined area the region's.
        let gsps = dir.appendingPathComponent("gsps.dcm").path
        try objects.presentationState.save(to: gsps, keepTransferSyntax: false)
        if let v = try DICOMChecks.dciodvfy(gsps) { #expect(v.errors.isEmpty, "\(gsps): \(v.errors)") }
        if let check = Tool.find("dcmpschk") {
            let r = try Tool.run(check, [gsps])
            #expect(r.status == 0 && !(r.stdout + r.stderr).contains("E: "), "\(r.stdout)\(r.stderr)")
        }
        let ps = try DICOMFile(path: gsps)
        #expect(ps.text("ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedSOPInstanceUID") == source.text("SOPInstanceUID"))
        var twiceArea = 0.0
        for i in 0..<ps.sequenceCount("GraphicAnnotationSequence[0].GraphicObjectSequence") {
            let item = "GraphicAnnotationSequence[0].GraphicObjectSequence[\(i)]"
            #expect(ps.text("\(item).GraphicType") == "POLYLINE" && ps.text("\(item).GraphicAnnotationUnits") == "PIXEL")
            let n = Int(ps.number("\(item).NumberOfGraphicPoints") ?? 0)
            let xy = (0..<(2 * n)).compactMap { ps.number("\(item).GraphicData", index: $0) }
            #expect(xy.count == 2 * n && n >= 5)
            for k in stride(from: 0, to: xy.count, by: 2) {
                #expect(xy[k] >= 0 && xy[k] <= Double(radiograph.width) && xy[k + 1] >= 0 && xy[k + 1] <= Double(radiograph.height))
            }
            for k in stride(from: 0, to: xy.count - 2, by: 2) { twiceArea += xy[k] * xy[k + 3] - xy[k + 2] * xy[k + 1] }
        }
        let outlined = abs(twiceArea) / 2 / Double(radiograph.width * radiograph.height)
        #expect(abs(outlined - objects.regionFraction) < 0.005, "outlined \(outlined) of the image, region \(objects.regionFraction)")
        if let r = try DICOMChecks.pydicomRead(gray, overlayGroup: 0x6000) {
            let expected = MapProjection.topRegion(weightMap, fraction: 0.2)
            let bits: [UInt8] = expected.map { b in b ? 1 : 0 }
            #expect(r.overlay! == bits)
            for label in Set(segmentLabels) {
                let marks = Set(zip(segmentLabels, r.overlay!).filter { $0.0 == label }.map(\.1))
                #expect(marks.count == 1, "superpixel \(label) is cut by the top region")
            }
        }
        if let r = try DICOMChecks.pydicomRead(gray, overlayGroup: 0x6002) {
            // Top two positive superpixels: weights 3 (segment 0) and 2 (segment 2) — the left half.
            let labels = projection.labels(e.lime!.segments)
                let expected: [UInt8] = labels.map { l in l == 0 || l == 2 ? 1 : 0 }
            #expect(r.overlay! == expected)
        }
    }
}


/// The presentation state shows the image as the reader displayed it: the image's own window when it has a
/// usable one, else the reader's percentile window (no VOI at all, or one dcmpstat and the standard refuse).
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct PresentationStateWindowTests {
    let dir = TestPaths.temporaryDirectory("gsps-window")

    /// The GSPS for `path` (outlining a quadrant), saved and read back, with the radiograph it was made for.
    func presentationState(for path: String) throws -> (DICOMFile, Radiograph) {
        let source = try DICOMFile(path: path)
        let radiograph = try RadiographLoader.load(path: path)
        let input = NetworkInput(radiograph: radiograph, options: NetworkInputOptions(size: 64))
        let map = SaliencyMap(raw: (0..<4096).map { Float($0 % 64 < 32 ? 1 : 0) }, width: 64, height: 64, targetClass: 0, probabilities: [0.9, 0.1])
        let e = Explanation(method: .gradcam, map: map, raw: map.values, lime: nil, seconds: 0)
        let context = ExplanationCapture.Context(predictedView: "PA", probability: 0.9, modelName: "test", modelSHA256: "ab12",
                                                 parameters: "Grad-CAM", inputSHA256: "cd34", settingsDigest: "ef56")
        let objects = try ExplanationCapture().build(source: source, radiograph: radiograph, geometry: input.geometry, explanation: e, context: context)
        let out = dir.appendingPathComponent((path as NSString).lastPathComponent + ".gsps.dcm").path
        try objects.presentationState.save(to: out, keepTransferSyntax: false)
        if let v = try DICOMChecks.dciodvfy(out) { #expect(v.errors.isEmpty, "\(out): \(v.errors)") }
        return (try DICOMFile(path: out), radiograph)
    }

    @Test("a valid window is the image's own; Window Width 0 gives the reader's percentile window; an 8-bit film without one its stored range")
    func window() throws {
        let withWindow = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let (own, ownImage) = try presentationState(for: withWindow)
        #expect(ownImage.source.readerWindow == nil)
        #expect(own.number("SoftcopyVOILUTSequence[0].WindowCenter") == 550 && own.number("SoftcopyVOILUTSequence[0].WindowWidth") == 1024)

        // Window Width 0 is invalid (PS3.3 C.11.2.1.2: at least 1); dcmpstat refused the whole object before.
        let source = try DICOMFile(path: withWindow)
        try source.put("WindowWidth", "0")
        let broken = dir.appendingPathComponent("window-width-0.dcm").path
        try source.save(to: broken, keepTransferSyntax: true)
        let noVOI = TestPaths.dicom("chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm")
        for path in [broken, noVOI] {
            let (ps, image) = try presentationState(for: path)
            let range = try #require(image.source.readerWindow?.range, "\(path)")
            if path == broken {
                #expect(image.source.voi.hasPrefix("percentile window"))
                #expect(image.source.voi.hasSuffix("(the file's window, center 550 width 0, is not valid)"), "\(image.source.voi)")
            } else {
                #expect(image.source.voi == "the stored range [0.0, 255.0] (no window of its own)")
                #expect(range == 0...255)
            }
            // LINEAR maps c − 0.5 ± (w − 1)/2 to black and white: the percentile range.
            let c = try #require(ps.number("SoftcopyVOILUTSequence[0].WindowCenter")), w = try #require(ps.number("SoftcopyVOILUTSequence[0].WindowWidth"))
            #expect(abs(c - 0.5 - (w - 1) / 2 - range.lowerBound) < 0.01 && abs(c - 0.5 + (w - 1) / 2 - range.upperBound) < 0.01, "\(c) \(w) \(range)")
            #expect(ps.text("SoftcopyVOILUTSequence[0].WindowCenterWidthExplanation") == (path == broken ? "PERCENTILE WINDOW" : "STORED RANGE"))
        }
    }
}
