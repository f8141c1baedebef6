import Foundation

/// Loads DICOM, PNG or JPEG files into a `Radiograph`, choosing the reader by content, not by extension.
public enum RadiographLoader {
    public enum FileKind: Sendable, Equatable { case dicom, png, jpeg, unknown }

    /// Sniffs the first bytes: "DICM" at 128, the PNG signature, a JPEG SOI; `unknown` otherwise
    /// (which may still be ACR-NEMA DICOM without a preamble).
    public static func kind(ofFileAt path: String) -> FileKind {
        let head = fileHead(ofFileAt: path)
        if head.count >= 8, head.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 132, head[128..<132].elementsEqual(Array("DICM".utf8)) { return .dicom }
        return .unknown
    }

    /// The name of an image format that is recognised by its signature but not read (a radiograph exported
    /// as TIFF, say): it fails as unsupported instead of being skipped as "not an image".
    static func unreadImageFormat(ofFileAt path: String) -> String? {
        let head = fileHead(ofFileAt: path)
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + bytes.count && head[offset..<offset + bytes.count].elementsEqual(bytes)
        }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "GIF" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "WebP" }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if starts(Array("ftyp".utf8), at: 4) && (starts(Array("heic".utf8), at: 8) || starts(Array("avif".utf8), at: 8) || starts(Array("mif1".utf8), at: 8)) {
            return "HEIF/AVIF"
        }
        // "BM" alone is too short a signature; a BMP's info header states its own size (12, 40, 52, 56, 64, 108 or 124).
        if starts(Array("BM".utf8)), head.count >= 15, [12, 40, 52, 56, 64, 108, 124].contains(Int(head[14])) { return "BMP" }
        return nil
    }

    /// The first 132 bytes of a file (a DICOM preamble and "DICM"), where every signature looked for lies;
    /// empty when it cannot be read.
    static func fileHead(ofFileAt path: String) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return [UInt8]((try? handle.read(upToCount: 132)) ?? Data())
    }

    /// Loads any supported file. Unknown content is tried as DICOM without a meta header.
    public static func load(path: String) throws(ImageReadError) -> Radiograph {
        try requireFile(path)
        let kind = kind(ofFileAt: path)
        switch kind {
        case .png, .jpeg: return try loadRaster(path: path)
        case .dicom, .unknown: return try loadDICOM(dicomFile(path: path, kind: kind))
        }
    }

    /// Fails unless `path` names an existing file that is not a directory.
    static func requireFile(_ path: String) throws(ImageReadError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .io(file: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .io(file: path, reason: "is a directory") }
    }

    /// Parses a file found to be DICOM by content, or tried as DICOM without a meta header (`.unknown`),
    /// where a parse failure means the file is none of the formats read.
    static func dicomFile(path: String, kind: FileKind) throws(ImageReadError) -> DICOMFile {
        if kind == .unknown, let format = unreadImageFormat(ofFileAt: path) {
            throw .unsupported(file: path, reason: "a \(format) image: only DICOM, PNG and JPEG are read (convert it to PNG)")
        }
        do { return try DICOMFile(path: path) } catch .notAnImage(let file, let reason) {
            throw .notAnImage(file: file, reason: kind == .unknown ? "not a DICOM, PNG or JPEG file" : reason)
        }
    }

    /// Stored values → Modality LUT → VOI → MONOCHROME1 inversion (and Presentation LUT Shape INVERSE).
    public static func loadDICOM(_ file: DICOMFile) throws(ImageReadError) -> Radiograph {
        let info = try file.pixelInfo()
        let photometric = info.photometric.trimmingCharacters(in: .whitespaces).uppercased()
        guard !photometric.isEmpty else {
            throw .unsupported(file: file.path, reason: "no Photometric Interpretation (0028,0004): what the pixel values mean is not stated")
        }
        // Another MONOCHROME term says nothing of which end is white: read either way, it may be a negative.
        if photometric.hasPrefix("MONOCHROME") && !["MONOCHROME1", "MONOCHROME2"].contains(photometric) {
            throw .unsupported(file: file.path, reason: "Photometric Interpretation \(info.photometric) is not a defined term (MONOCHROME1 or "
                               + "MONOCHROME2): whether low values are black or white is not stated")
        }
        guard info.samplesPerPixel == 1, photometric.hasPrefix("MONOCHROME") else {
            throw .unsupported(file: file.path,
                               reason: "photometric interpretation \(info.photometric) with \(info.samplesPerPixel) samples is not a grayscale radiograph")
        }
        let modality = ModalityTransform.read(from: file, signed: info.isSigned)
        // Pixel padding (outside the collimated or detector area) is no part of the image: it takes no part in
        // the percentile window and is shown black (PS3.3 C.7.5.1.1.2).
        let padding = paddingRange(file)
        var display: [Float]
        let storedStatistics: Radiograph.Statistics, isPadding: [Bool]?
        (display, storedStatistics, isPadding) = try file.decodeModalityValues(modality, padding: padding)
        // An unsigned image of at most 8 bits stored as it is shown (identity modality transform): its whole range.
        let storedRange = info.bitsStored <= 8 && !info.isSigned && modality == .identity ? 0...Double((1 << info.bitsStored) - 1) : nil
        // The window is chosen inside a closure so that the values it looks at are gone when it is applied: `display`
        // alone then holds its buffer and is windowed in place, not copied (a 5-megapixel film's 20 MB).
        let (voi, voiDescription): (VOITransform, String) = {
            let imageValues = isPadding.map { pad in display.indices.compactMap { pad[$0] ? nil : display[$0] } } ?? display
            let voiBasis = imageValues.isEmpty ? display : imageValues
            let voi = VOITransform.read(from: file, modalityValues: voiBasis, storedRange: storedRange)
            var description = voi.description + Self.unusedWindowNote(file, voi, modalityValues: voiBasis)
            if let padding {
                description += "; \(display.count - imageValues.count) padding pixels (stored \(padding.lowerBound == padding.upperBound ? "\(padding.lowerBound)" : "\(padding.lowerBound)–\(padding.upperBound)")) shown black"
            }
            return (voi, description)
        }()
        voi.applyInPlace(&display)
        var invert = photometric == "MONOCHROME1"
        if file.text("PresentationLUTShape")?.uppercased() == "INVERSE" { invert.toggle() }
        if invert { display.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] = 1 - d[i] } } }
        if let isPadding { for i in display.indices where isPadding[i] { display[i] = 0 } }
        var source = Radiograph.Source(
            path: file.path, format: .dicom, transferSyntaxUID: info.transferSyntaxUID, decoder: info.decoder,
            photometric: info.photometric, modality: modality.description + Self.unusedRescaleNote(file, modality), voi: voiDescription,
            inverted: invert, bitDepth: info.bitsStored, channels: 1)
        switch voi {
        case .percentile(let low, let high, _, _): source.readerWindow = .init(range: low...high, explanation: "PERCENTILE WINDOW")
        case .storedRange(let low, let high): source.readerWindow = .init(range: low...high, explanation: "STORED RANGE")
        case .lut, .window: break
        }
        return Radiograph(width: info.columns, height: info.rows, pixels: display, tags: .read(from: file),
                          source: source, storedStatistics: storedStatistics)
    }

    /// The stored values that are padding: Pixel Padding Value, through Pixel Padding Range Limit when given.
    static func paddingRange(_ file: DICOMFile) -> ClosedRange<Int32>? {
        guard let value = file.number("PixelPaddingValue"), let v = Int32(exactly: value.rounded()) else { return nil }
        guard let limitValue = file.number("PixelPaddingRangeLimit"), let limit = Int32(exactly: limitValue.rounded()) else { return v...v }
        return min(v, limit)...max(v, limit)
    }

    /// Why a window the file carries was not used (a width under 1, no center, every pixel one gray), for
    /// `inspect`; empty otherwise.
    static func unusedWindowNote(_ file: DICOMFile, _ voi: VOITransform, modalityValues: [Float]) -> String {
        if case .lut = voi { return "" }
        var notes: [String] = []
        if file.sequenceCount("VOILUTSequence") > 0 { notes.append(invalidLUT("VOI")) }
        if voi.isReadersOwn, file.text("WindowWidth") != nil || file.text("WindowCenter") != nil {
            notes.append(windowReason(file, modalityValues: modalityValues))
        }
        return notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")"
    }

    static func windowReason(_ file: DICOMFile, modalityValues: [Float]) -> String {
        func first(_ keyword: String) -> String { file.text(keyword)?.split(separator: "\\").first.map(String.init) ?? "none" }
        let window = "the file's window, center \(first("WindowCenter")) width \(first("WindowWidth"))"
        if let c = file.number("WindowCenter"), let w = file.number("WindowWidth"), w >= 1,
           VOITransform.showsOneGray(center: c, width: w, function: .linear, values: modalityValues) {
            return "\(window), lies outside the image's values: every pixel would show as one gray"
        }
        return "\(window), is not valid"
    }

    /// A LUT Sequence that `LookupTable.read` refused.
    static func invalidLUT(_ kind: String) -> String {
        "the file's \(kind) LUT Sequence is not valid (no descriptor, or fewer LUT Data entries than it declares): not used"
    }

    /// Why the file's Rescale Slope or Intercept was not used (a zero slope, not a number), for `inspect`; empty otherwise.
    static func unusedRescaleNote(_ file: DICOMFile, _ modality: ModalityTransform) -> String {
        if case .lut = modality { return "" }
        if file.sequenceCount("ModalityLUTSequence") > 0 { return " (\(invalidLUT("Modality")))" }
        var notes: [String] = []
        if let text = file.text("RescaleSlope"), ModalityTransform.usableSlope(file) == nil { notes.append("Rescale Slope \(text) is not valid: 1 used") }
        if let text = file.text("RescaleIntercept"), file.number("RescaleIntercept") == nil { notes.append("Rescale Intercept \(text) is not a number: 0 used") }
        return notes.isEmpty ? "" : " (the file's \(notes.joined(separator: "; its ")))"
    }

    /// PNG or JPEG: colour becomes luminance (ITU-R BT.601, as PIL's "L"), alpha is ignored.
    /// 8-bit values scale by 1/255; 16-bit PNGs (PadChest style), whose values rarely span the full 16 bits, get
    /// the picture window (their 0.01–99.99 percentiles).
    static func loadRaster(path: String) throws(ImageReadError) -> Radiograph {
        let raster = try RasterImage.load(path: path)
        try raster.requireRadiograph(path: path)
        return radiograph(from: raster, path: path)
    }

    /// How a picture stored under each EXIF Orientation is shown upright (TIFF 6.0, as viewers do).
    static let orientationNames: [Int: String] = [
        2: "mirrored left to right", 3: "turned 180°", 4: "mirrored top to bottom", 5: "transposed",
        6: "turned 90° clockwise", 7: "transversed", 8: "turned 90° anticlockwise",
    ]

    /// The display values of a PNG or JPEG already read.
    static func radiograph(from raster: RasterImage, path: String) -> Radiograph {
        let voi: VOITransform
        let display: [Float]
        if raster.bitDepth == 16 {
            voi = VOITransform.pictureWindow(raster.luminance)
            display = voi.apply(raster.luminance)
        } else {
            voi = .storedRange(low: 0, high: 255)
            display = raster.luminance.map { $0 / 255 }
        }
        let source = Radiograph.Source(
            path: path, format: raster.format, transferSyntaxUID: nil,
            decoder: (raster.format == .png ? "libpng" : "libjpeg-turbo")
                + (raster.exifOrientation.map { ", EXIF Orientation \($0) applied (\(Self.orientationNames[$0] ?? "")) to show it upright" } ?? ""),
            photometric: raster.channels >= 3 ? "RGB → luminance" : "gray", modality: "identity",
            voi: raster.bitDepth == 16 ? voi.description : "linear 0–255",
            inverted: false, bitDepth: raster.bitDepth, channels: raster.channels)
        return Radiograph(width: raster.width, height: raster.height, pixels: display, tags: RadiographTags(),
                          source: source, storedStatistics: .init(raster.grayValues))
    }
}

/// Colour to gray for PNG/JPEG inputs.
public enum Luminance {
    /// Gray (and gray+alpha) pass through; RGB(A) uses 0.299 R + 0.587 G + 0.114 B.
    public static func of(_ samples: UnsafeBufferPointer<UInt16>, channels: Int) -> [Float] {
        let n = samples.count / channels
        var out = [Float](repeating: 0, count: n)
        switch channels {
        case 1, 2:
            for i in 0..<n { out[i] = Float(samples[i * channels]) }
        default:
            for i in 0..<n {
                let r = Float(samples[i * channels]), g = Float(samples[i * channels + 1]), b = Float(samples[i * channels + 2])
                out[i] = 0.299 * r + 0.587 * g + 0.114 * b
            }
        }
        return out
    }
}
