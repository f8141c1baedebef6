import Foundation
import Preprocess
import TestSupport
import Testing

/// A dataset written without the Part 10 preamble and meta header (ACR-NEMA style): DCMTK detects its
/// encoding from the first tag, and the bridge's structure check must read it the same way round.
struct NoMetaHeaderTests {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    /// A 2×2 8-bit CR image in explicit VR big endian, no meta header.
    static func bigEndianImage() -> [UInt8] {
        func element(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
            be16(g) + be16(e) + Array(vr.utf8) + (vr == "OB" ? [0, 0, 0, 0] + be16(UInt16(value.count)) : be16(UInt16(value.count))) + value
        }
        var out = element(0x0008, 0x0060, "CS", Array("CR".utf8))
        out += element(0x0028, 0x0002, "US", be16(1)) + element(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
        out += element(0x0028, 0x0010, "US", be16(2)) + element(0x0028, 0x0011, "US", be16(2))
        out += element(0x0028, 0x0100, "US", be16(8)) + element(0x0028, 0x0101, "US", be16(8))
        out += element(0x0028, 0x0102, "US", be16(7)) + element(0x0028, 0x0103, "US", be16(0))
        out += element(0x7FE0, 0x0010, "OB", [0, 64, 128, 255])
        return out
    }

    @Test("explicit VR big endian without a meta header is read, not refused as a declared length beyond the data")
    func bigEndianWithoutMeta() throws {
        let bytes = Self.bigEndianImage()
        let path = TestPaths.temporaryDirectory("no-meta").appendingPathComponent("be.dcm").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try RadiographLoader.load(path: path)
        #expect(image.width == 2 && image.height == 2)
        #expect(try DICOMFile(bytes: bytes, name: "memory").string("Modality") == "CR")
    }
}
