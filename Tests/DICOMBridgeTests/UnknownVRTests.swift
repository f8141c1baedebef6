import Foundation
import Preprocess
import TestSupport
import Testing

/// Values an explicit-VR writer stored as UN because its dictionary did not know them: a sequence of undefined
/// length (its contents implicit VR little endian, PS3.5 6.2.2, CP-246) and a text attribute such as Modality.
struct UnknownVRTests {
    static func le16(_ v: UInt16) -> [UInt8] { NestingTests.le16(v) }
    static func le32(_ v: UInt32) -> [UInt8] { NestingTests.le32(v) }
    static func explicit(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
        let long = ["OB", "OW", "SQ", "UN"].contains(vr)
        return le16(g) + le16(e) + Array(vr.utf8) + (long ? [0, 0] + le32(UInt32(value.count)) : le16(UInt16(value.count))) + value
    }

    /// A 2×2 explicit-VR little-endian CR image whose header holds `extra` after Modality.
    static func image(modality: [UInt8], extra: [UInt8] = []) -> [UInt8] {
        let syntax = Array("1.2.840.10008.1.2.1".utf8) + [0]
        let meta = explicit(0x0002, 0x0010, "UI", syntax)
        var out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + explicit(0x0002, 0x0000, "UL", le32(UInt32(meta.count))) + meta
        out += modality + extra
        out += explicit(0x0028, 0x0002, "US", le16(1)) + explicit(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
        out += explicit(0x0028, 0x0010, "US", le16(2)) + explicit(0x0028, 0x0011, "US", le16(2))
        out += explicit(0x0028, 0x0100, "US", le16(8)) + explicit(0x0028, 0x0101, "US", le16(8))
        out += explicit(0x0028, 0x0102, "US", le16(7)) + explicit(0x0028, 0x0103, "US", le16(0))
        out += explicit(0x7FE0, 0x0010, "OB", [0, 64, 128, 255])
        return out
    }

    @Test("Modality stored as UN reads as its text (CR), not as a hex dump of its bytes")
    func unknownVRModality() throws {
        let bytes = Self.image(modality: Self.explicit(0x0008, 0x0060, "UN", Array("CR".utf8)))
        #expect(try DICOMFile(bytes: bytes, name: "memory").string("Modality") == "CR")
        let padded = Self.image(modality: Self.explicit(0x0008, 0x0060, "UN", Array("DX\\CR ".utf8)))
        #expect(try DICOMFile(bytes: padded, name: "memory").string("Modality") == "DX\\CR")
    }

    /// An explicit-VR image holding a private sequence stored as UN of undefined length, whose contents are
    /// implicit VR little endian (PS3.5 6.2.2, CP-246), as GDCM writes a sequence its dictionary does not know.
    static func imageWithUNSequence() -> [UInt8] {
        func implicit(_ g: UInt16, _ e: UInt16, _ value: [UInt8]) -> [UInt8] { le16(g) + le16(e) + le32(UInt32(value.count)) + value }
        var sequence = explicit(0x0009, 0x0010, "LO", Array("ACME 1.0".utf8))
        sequence += le16(0x0009) + le16(0x1010) + Array("UN".utf8) + [0, 0] + le32(0xFFFF_FFFF)
        sequence += le16(0xFFFE) + le16(0xE000) + le32(0xFFFF_FFFF)
        sequence += implicit(0x0020, 0x000D, Array("1.2.840.113619.2.327.3.185221411.476.1398588725.795".utf8) + [0])
        sequence += implicit(0x0020, 0x000E, Array("1.2.840.113619.2.327.3.185221411.476.1398588726.276".utf8) + [0])
        sequence += le16(0xFFFE) + le16(0xE00D) + le32(0) + le16(0xFFFE) + le16(0xE0DD) + le32(0)
        return image(modality: explicit(0x0008, 0x0060, "CS", Array("CR".utf8)), extra: sequence)
    }

    @Test("a UN sequence of undefined length (implicit VR inside, CP-246) is read, not called truncated")
    func unknownSequence() throws {
        let bytes = Self.imageWithUNSequence()
        let path = TestPaths.temporaryDirectory("un-sequence").appendingPathComponent("un.dcm").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try RadiographLoader.load(path: path)
        #expect(image.width == 2 && image.height == 2)
        #expect(try DICOMFile(bytes: bytes, name: "memory").string("Modality") == "CR")
        // DCMTK reads it the same way: the item's elements are found inside the private sequence.
        let dcmdump = try #require(Tool.find("dcmdump"), "dcmdump (dcmtk) is needed")
        #expect(try Tool.run(dcmdump, [path]).stdout.contains("(0020,000e) UI [1.2.840.113619.2.327.3.185221411.476.1398588726.276]"))
    }
}
