import Foundation
import DICOMBridge

/// An open DICOM object: tag access and pixel decoding through the bridge.
///
/// Not `Sendable`: one thread owns a file at a time.
public final class DICOMFile {
    public let path: String
    /// The bridge's dataset; writers in other targets of this package use it directly.
    package let handle: OpaquePointer

    /// Wraps a handle the bridge made (a new dataset for writing).
    package init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    /// Reads a DICOM file (Part 10, or ACR-NEMA style without meta header when DCMTK can).
    public init(path: String) throws(ImageReadError) {
        self.path = path
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = dcb_dataset_load(path, &out, &err, err.count)
        guard status == 0, let out else {
            throw ImageReadError.fromBridge(status: status, file: path, message: bridgeString(err))
        }
        handle = out
    }

    /// Reads a DICOM object from bytes; `name` is used in errors.
    public init(bytes: [UInt8], name: String) throws(ImageReadError) {
        self.path = name
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { dcb_dataset_load_memory($0.baseAddress, $0.count, &out, &err, err.count) }
        guard status == 0, let out else {
            throw ImageReadError.fromBridge(status: status, file: name, message: bridgeString(err))
        }
        handle = out
    }

    deinit { dcb_dataset_free(handle) }

    /// The transfer syntax UID the object was stored in.
    public var transferSyntaxUID: String {
        var buf = [CChar](repeating: 0, count: 80)
        _ = dcb_transfer_syntax(handle, &buf, buf.count)
        return bridgeString(buf)
    }

    public var hasMetaHeader: Bool { dcb_has_meta_header(handle) != 0 }

    /// The string value at a tag path ("PatientID", "ViewCodeSequence[0].CodeValue"), or nil if absent.
    public func string(_ path: String) -> String? {
        var needed = 0
        var buf = [CChar](repeating: 0, count: 256)
        var status = dcb_get_string(handle, path, &buf, buf.count, &needed)
        if status == 9, needed > buf.count {  // too small: retry with the size the bridge asked for
            buf = [CChar](repeating: 0, count: needed)
            status = dcb_get_string(handle, path, &buf, buf.count, &needed)
        }
        guard status == 0 else { return nil }
        return bridgeString(buf)
    }

    /// Trimmed string value, nil when absent or empty.
    public func text(_ path: String) -> String? {
        guard let s = string(path)?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        return s
    }

    /// A numeric value (US/SS/UL/SL/FL/FD, or DS/IS parsed at full precision).
    public func number(_ path: String, index: Int = 0) -> Double? {
        var v = 0.0
        return dcb_get_number(handle, path, UInt(index), &v) == 0 ? v : nil
    }

    /// The 16-bit words of an OW/US/SS/OB attribute such as LUT Data.
    public func words(_ path: String) -> [UInt16]? {
        var available = 0
        guard dcb_get_uint16_array(handle, path, nil, 0, &available) == 0 else { return nil }
        var out = [UInt16](repeating: 0, count: available)
        guard dcb_get_uint16_array(handle, path, &out, out.count, &available) == 0 else { return nil }
        return out
    }

    public func sequenceCount(_ path: String) -> Int { Int(dcb_sequence_count(handle, path)) }

    /// The Image Pixel module, checked against the size guard; nothing is decoded.
    public func pixelInfo() throws(ImageReadError) -> PixelInfo {
        var info = dcb_pixel_info()
        var err = [CChar](repeating: 0, count: 512)
        let status = dcb_pixel_info_get(handle, &info, &err, err.count)
        guard status == 0 else { throw ImageReadError.fromBridge(status: status, file: path, message: bridgeString(err)) }
        return PixelInfo(info)
    }

    /// Stored values of frame 1 (masked to Bits Stored, sign-extended), samples interleaved.
    public func decodeStoredValues() throws(ImageReadError) -> [Int32] {
        var out = [Int32](repeating: 0, count: try pixelCount())
        try out.withUnsafeMutableBufferPointer { (buffer) throws(ImageReadError) in try decodeStored(into: buffer) }
        return out
    }

    /// Frame 1's modality values (`transform` applied to its stored values), decoded and mapped in one buffer, and
    /// what is wanted of the stored values themselves: their statistics, and which are padding (when `padding` is
    /// given). A film never holds its stored values and its modality values at once: a 9-megapixel film's 36 MB.
    public func decodeModalityValues(_ transform: ModalityTransform, padding: ClosedRange<Int32>?) throws(ImageReadError)
        -> (values: [Float], storedStatistics: Radiograph.Statistics, isPadding: [Bool]?) {
        var values = [Float](repeating: 0, count: try pixelCount())
        var isPadding = padding.map { _ in [Bool](repeating: false, count: values.count) }
        let statistics = try values.withUnsafeMutableBufferPointer { (floats) throws(ImageReadError) in
            // Float memory seen as Int32 while it holds stored values; `overwriteWithModalityValues` leaves Float bit patterns.
            try floats.withMemoryRebound(to: Int32.self) { (stored) throws(ImageReadError) in
                try decodeStored(into: stored)
                if let padding {
                    isPadding!.withUnsafeMutableBufferPointer { mask in
                        for i in stored.indices { mask[i] = padding.contains(stored[i]) }
                    }
                }
                let statistics = Radiograph.Statistics(UnsafeBufferPointer(stored))
                transform.overwriteWithModalityValues(stored)
                return statistics
            }
        }
        return (values, statistics, isPadding)
    }

    /// Samples in frame 1, from the Image Pixel module.
    private func pixelCount() throws(ImageReadError) -> Int {
        let info = try pixelInfo()
        return info.rows * info.columns * info.samplesPerPixel
    }

    private func decodeStored(into buffer: UnsafeMutableBufferPointer<Int32>) throws(ImageReadError) {
        var err = [CChar](repeating: 0, count: 512)
        let status = dcb_decode_stored(handle, buffer.baseAddress, buffer.count, &err, err.count)
        guard status == 0 else { throw ImageReadError.fromBridge(status: status, file: path, message: bridgeString(err)) }
    }
}

/// The Image Pixel module of a DICOM object, and how it is encoded.
public struct PixelInfo: Sendable, Equatable {
    public var rows, columns, frames, samplesPerPixel: Int
    public var bitsAllocated, bitsStored, highBit: Int
    public var isSigned: Bool
    public var photometric: String
    public var transferSyntaxUID: String
    public var isEncapsulated: Bool
    /// What decodes it: "native", "DCMTK dcmjpeg (IJG)", "DCMTK dcmjpls (CharLS)", "DCMTK RLE", "OpenJPEG 2.5.0".
    public var decoder: String

    init(_ i: dcb_pixel_info) {
        rows = Int(i.rows); columns = Int(i.columns); frames = Int(i.frames)
        samplesPerPixel = Int(i.samples_per_pixel)
        bitsAllocated = Int(i.bits_allocated); bitsStored = Int(i.bits_stored); highBit = Int(i.high_bit)
        isSigned = i.pixel_representation == 1
        isEncapsulated = i.encapsulated != 0
        photometric = withUnsafeBytes(of: i.photometric) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        transferSyntaxUID = withUnsafeBytes(of: i.transfer_syntax) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        decoder = withUnsafeBytes(of: i.decoder) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
