import Foundation

/// One input read through the header gate: a DICOM file is parsed, gated, and decoded only when it may be
/// a chest radiograph; PNG and JPEG carry no header, so their content decides.
public enum GatedInput {
    /// Decoded. `dicom` is the parsed dataset (nil for PNG/JPEG); `verdict` is `.chest` or `.headerCannotTell`.
    case radiograph(Radiograph, dicom: DICOMFile?, verdict: ChestGate.Verdict)
    /// Not a chest radiograph, or not an image: refused by the header gate (nothing decoded), by the colour
    /// check, or decoded and found blank.
    case skipped(reason: String, tags: RadiographTags)

    public static func read(path: String, gate: ChestGate) throws(ImageReadError) -> GatedInput {
        try RadiographLoader.requireFile(path)
        let kind = RadiographLoader.kind(ofFileAt: path)
        switch kind {
        case .png, .jpeg:
            let raster = try RasterImage.load(path: path)
            // A colour picture is an input that is not a chest radiograph, like a CT: skipped, not failed.
            if let colourPicture = raster.colourPicture {
                return .skipped(reason: "not a chest radiograph: \(colourPicture)", tags: RadiographTags())
            }
            return gated(RadiographLoader.radiograph(from: raster, path: path), dicom: nil, verdict: .headerCannotTell)
        case .dicom, .unknown:
            let file: DICOMFile
            do { file = try RadiographLoader.dicomFile(path: path, kind: kind) } catch .notAnImage where kind == .unknown {
                // No signature and DCMTK cannot parse it: not an image at all (notes, an unknown format), unless
                // its name says it is one: then it is a damaged image, a failure.
                let empty = ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 0
                let what = empty ? "an empty file" : "neither DICOM, PNG nor JPEG"
                let ext = (path as NSString).pathExtension.lowercased()
                if Self.imageExtensions.contains(ext) { throw .notAnImage(file: path, reason: "named .\(ext) but \(what)") }
                return .skipped(reason: "not an image: \(what)", tags: RadiographTags())
            }
            let verdict = gate.check(file)
            if case .skip(let reason) = verdict { return .skipped(reason: reason, tags: .read(from: file)) }
            return gated(try RadiographLoader.loadDICOM(file), dicom: file, verdict: verdict)
        }
    }

    /// File name extensions that claim an image format.
    static let imageExtensions: Set<String> = ["dcm", "dicom", "dic", "png", "jpg", "jpeg"]

    /// A decoded image whose pixels all hold one value shows nothing (a blank or failed exposure, a placeholder):
    /// skipped like any other input that is no chest film, whatever its header says.
    static func gated(_ radiograph: Radiograph, dicom: DICOMFile?, verdict: ChestGate.Verdict) -> GatedInput {
        let stored = radiograph.storedStatistics
        if stored.min == stored.max {
            return .skipped(reason: "not a chest radiograph: a blank image (every pixel is \(Int(stored.min)))",
                            tags: dicom.map { .read(from: $0) } ?? RadiographTags())
        }
        // Different stored values that all show as one gray: every pixel Pixel Padding, say.
        if let first = radiograph.pixels.first, !radiograph.pixels.contains(where: { $0 != first }) {
            return .skipped(reason: "not a chest radiograph: a blank image (every pixel shows as one gray)",
                            tags: dicom.map { .read(from: $0) } ?? RadiographTags())
        }
        return .radiograph(radiograph, dicom: dicom, verdict: verdict)
    }
}
