import Foundation
import Preprocess
import TestSupport
import Testing

/// DCMTK's parser recurses once per sequence level: a few hundred kilobytes of nested sequences used to
/// overflow the stack (a crash at 50 000 levels). The bridge measures the nesting first, iteratively, and
/// refuses more than 64 levels with a clear error, from files and from memory, implicit and explicit VR.
struct NestingTests {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    /// A 2×2 8-bit image whose header holds `depth` nested undefined-length sequences.
    static func image(depth: Int, explicitVR: Bool) -> [UInt8] {
        func element(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
            if explicitVR {
                let long = ["OB", "OW", "SQ", "UN"].contains(vr)
                return le16(g) + le16(e) + Array(vr.utf8) + (long ? [0, 0] + le32(UInt32(value.count)) : le16(UInt16(value.count))) + value
            }
            return le16(g) + le16(e) + le32(UInt32(value.count)) + value
        }
        var out: [UInt8] = []
        if explicitVR {
            let syntax = Array("1.2.840.10008.1.2.1".utf8) + [0]
            let meta = element(0x0002, 0x0010, "UI", syntax)
            out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + element(0x0002, 0x0000, "UL", le32(UInt32(meta.count))) + meta
        }
        out += element(0x0008, 0x0060, "CS", Array("CR".utf8))
        let open = le16(0x0008) + le16(0x1115) + (explicitVR ? Array("SQ".utf8) + [0, 0] : []) + le32(0xFFFF_FFFF)
            + le16(0xFFFE) + le16(0xE000) + le32(0xFFFF_FFFF)
        let close = le16(0xFFFE) + le16(0xE00D) + le32(0) + le16(0xFFFE) + le16(0xE0DD) + le32(0)
        for _ in 0..<depth { out += open }
        for _ in 0..<depth { out += close }
        out += element(0x0028, 0x0002, "US", le16(1)) + element(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
        out += element(0x0028, 0x0010, "US", le16(2)) + element(0x0028, 0x0011, "US", le16(2))
        out += element(0x0028, 0x0100, "US", le16(8)) + element(0x0028, 0x0101, "US", le16(8))
        out += element(0x0028, 0x0102, "US", le16(7)) + element(0x0028, 0x0103, "US", le16(0))
        out += element(0x7FE0, 0x0010, "OB", [0, 64, 128, 255])
        return out
    }

    @Test("64 levels read; 65 and 100 000 levels are refused with a one-line reason", arguments: [false, true])
    func nesting(explicitVR: Bool) throws {
        let dir = TestPaths.temporaryDirectory("nesting")
        for depth in [3, 64, 65, 100_000] {
            let bytes = Self.image(depth: depth, explicitVR: explicitVR)
            let path = dir.appendingPathComponent("nested-\(depth).dcm").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            if depth <= 64 {
                let image = try RadiographLoader.load(path: path)
                #expect(image.width == 2 && image.height == 2)
                _ = try DICOMFile(bytes: bytes, name: "memory")
            } else {
                for attempt in 0..<2 {
                    do {
                        if attempt == 0 { _ = try RadiographLoader.load(path: path) } else { _ = try DICOMFile(bytes: bytes, name: path) }
                        Issue.record("depth \(depth) was accepted")
                    } catch {
                        #expect(error.description == "\(path): sequences nest deeper than 64 levels")
                    }
                }
            }
        }
    }
}
