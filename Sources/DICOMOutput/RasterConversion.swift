import Foundation
import Preprocess

/// PNG/JPEG → DICOM Secondary Capture (`convert`), so PadChest-style studies can enter a PACS.
///
/// PadChest PNGs carry no tags: identity comes from options or, by default, from the file:
/// the study from the parent folder's name, the instance from the file's SHA-256 (so a rerun
/// reproduces the same UIDs). The SC Image IOD defines no view attributes: a converted film's view lives in
/// its SR and the report.
public enum RasterConversion {
    public struct Options: Sendable {
        public var patientID = ""
        public var patientName = ""
        public var accessionNumber = ""
        public var studyInstanceUID: String?
        public init() {}
    }

    public static func makeSecondaryCapture(path: String, options: Options = .init()) throws -> DICOMFile {
        let raster = try RasterImage.load(path: path)
        try raster.requireRadiograph(path: path)
        let contentDigest = try Digest.sha256Hex(ofFileAt: path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
        let studyUID = options.studyInstanceUID ?? DICOMUID.uid(forName: "cxr-explain study|\(folder)|\(options.patientID)")
        let gray = raster.grayValues
        let pixels: SecondaryCapture.Pixels
        var window: (center: Double, width: Double)?
        if raster.bitDepth == 16 {
            pixels = .gray16(gray, bitsStored: 16)
            // The window our reader shows the PNG through, in LINEAR form: c = (lo+hi)/2 + 0.5, w = hi-lo+1.
            if case .percentile(let lo, let hi, _, _) = VOITransform.pictureWindow(raster.luminance) {
                window = (center: (lo + hi) / 2 + 0.5, width: max(1, hi - lo + 1))
            }
        } else {
            pixels = .gray8(gray.map { UInt8($0) })
            window = (center: 128, width: 256)  // LINEAR: (x - 127.5) / 255 + 0.5 = x / 255, as the PNG shows
        }
        // The UID names everything the object holds: the file's bytes and each identity value written with them.
        let identity = ["file=\(contentDigest)", "patient=\(options.patientID)", "name=\(options.patientName)",
                        "accession=\(options.accessionNumber)", "study=\(studyUID)"].joined(separator: "|")
        var sc = SecondaryCapture(
            width: raster.width, height: raster.height, pixels: pixels,
            sopInstanceUID: DICOMUID.uid(forName: "cxr-explain convert|\(identity)"),
            seriesInstanceUID: DICOMUID.uid(forName: "cxr-explain convert series|\(studyUID)"),
            seriesNumber: 1, instanceNumber: instanceNumber(of: path), seriesDescription: "Converted by \(Software.name)",
            derivationDescription: "Converted from \(raster.format.rawValue) (\(raster.bitDepth)-bit, \(raster.channels) channel) by \(Software.name) \(Software.version)")
        sc.window = window
        sc.imageType = "DERIVED\\PRIMARY"
        if raster.format == .jpeg {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            sc.lossyHistory = .jpegFile(bytes: size ?? 0, uncompressedBytes: raster.width * raster.height * raster.channels)
        }
        let study = NewStudy(studyInstanceUID: studyUID, patientID: options.patientID, patientName: options.patientName,
                             accessionNumber: options.accessionNumber)
        return try sc.build(source: nil, newStudy: study)
    }

    /// The file's 1-based place among the PNG and JPEG files of its folder, by name: converted images of one
    /// folder share a series, so each needs its own Instance Number, the same on every run.
    static func instanceNumber(of path: String) -> Int {
        let url = URL(fileURLWithPath: path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        let rasters = names.filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        return (rasters.firstIndex(of: url.lastPathComponent) ?? rasters.count) + 1
    }
}
