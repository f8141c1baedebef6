import DICOMBridge
import Foundation

/// A PNG or JPEG as gray sample values at its own bit depth (colour → BT.601 luminance, rounded).
public struct RasterImage: Sendable {
    public var width: Int
    public var height: Int
    public var bitDepth: Int
    /// Channels in the file (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    public var channels: Int
    /// Luminance, row-major, unrounded.
    public var luminance: [Float]
    public var format: Radiograph.Source.Format
    /// Colour that brightness does not explain, 0–255 scale (`ColourCheck`); 0 for gray files.
    public var residualColour: Double = 0
    /// The EXIF Orientation (2–8) a JPEG was stored under and that was applied to show it upright; nil if none.
    public var exifOrientation: Int? = nil

    /// Why this is a colour picture and no radiograph, or nil (`ColourCheck`).
    public var colourPicture: String? {
        guard residualColour > ColourCheck.limit else { return nil }
        return String(format: "a colour picture (colour independent of brightness %.1f, limit %.0f on a 0–255 scale)", residualColour, ColourCheck.limit)
    }

    /// Refuses a colour picture where a radiograph is required (training and converting inputs).
    public func requireRadiograph(path: String) throws(ImageReadError) {
        if let colourPicture { throw .unsupported(file: path, reason: "not a radiograph: \(colourPicture)") }
    }

    /// Reads a PNG (libpng) or JPEG (libjpeg-turbo), chosen by signature.
    public static func load(path: String) throws(ImageReadError) -> RasterImage {
        try RadiographLoader.requireFile(path)
        let kind = RadiographLoader.kind(ofFileAt: path)
        guard kind == .png || kind == .jpeg else { throw .notAnImage(file: path, reason: "not a PNG or JPEG file") }
        var raster = dcb_raster()
        var err = [CChar](repeating: 0, count: 512)
        let status = kind == .png ? dcb_png_read(path, &raster, &err, err.count) : dcb_jpeg_read(path, &raster, &err, err.count)
        guard status == 0 else { throw ImageReadError.fromBridge(status: status, file: path, message: bridgeString(err)) }
        defer { dcb_raster_free(&raster) }
        let channels = Int(raster.channels)
        let samples = UnsafeBufferPointer(start: raster.data, count: Int(raster.width) * Int(raster.height) * channels)
        let luminance = Luminance.of(samples, channels: channels)
        let colour = ColourCheck.residualColour(samples, channels: channels, luminance: luminance, bitDepth: Int(raster.bit_depth))
        return RasterImage(width: Int(raster.width), height: Int(raster.height), bitDepth: Int(raster.bit_depth),
                           channels: channels, luminance: luminance, format: kind == .png ? .png : .jpeg, residualColour: colour,
                           exifOrientation: raster.orientation >= 2 ? Int(raster.orientation) : nil)
    }

    /// Luminance rounded to the file's bit depth.
    public var grayValues: [UInt16] {
        let top = Float((1 << bitDepth) - 1)
        return luminance.map { UInt16(min(top, max(0, $0.rounded()))) }
    }
}

extension RasterImage {
    /// Writes 8-bit gray (1 channel) or RGB (3 channels, interleaved) as PNG, via a temporary file and a rename.
    public static func writePNG(_ bytes: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws(ImageReadError) {
        precondition(bytes.count == width * height * channels, "pixel buffer does not match \(width)x\(height)x\(channels)")
        var samples = bytes.map(UInt16.init)
        let temporary = path + ".tmp-\(getpid())"
        var err = [CChar](repeating: 0, count: 512)
        let status = samples.withUnsafeMutableBufferPointer { buf -> Int32 in
            var raster = dcb_raster(width: UInt32(width), height: UInt32(height), channels: UInt8(channels), bit_depth: 8, data: buf.baseAddress, orientation: 0)
            return dcb_png_write(temporary, &raster, &err, err.count)
        }
        guard status == 0 else { unlink(temporary); throw .io(file: path, reason: bridgeString(err)) }
        guard rename(temporary, path) == 0 else { unlink(temporary); throw .io(file: path, reason: "cannot rename into place") }
    }
}
