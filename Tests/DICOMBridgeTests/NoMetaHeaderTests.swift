import Foundation
import Preprocess
import TestSupport
import Testing

/// A dataset written without the Part 10 preamble and meta header (ACR-NEMA style): DCMTK detects its
/// encoding from the first tag, and the bridge's structure check must read it the same way round.
struct NoMetaHeaderTests {
    /// A 2×2 8-bit CR image in explicit VR big endian, no meta header.
    static func bigEndianImage() -> [UInt8] {
        let be = TinyDICOM(.explicitBig)
        return be.element(0x0008, 0x0060, "CS", Array("CR".utf8)) + be.pixels2x2()
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
