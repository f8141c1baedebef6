import Foundation
import Preprocess
import TestSupport
import Testing

/// Values an explicit-VR writer stored as UN because its dictionary did not know them: a sequence of undefined
/// length (its contents implicit VR little endian, PS3.5 6.2.2, CP-246) and a text attribute such as Modality.
struct UnknownVRTests {
    static let le = TinyDICOM(.explicitLittle)

    /// A 2×2 explicit-VR little-endian image whose header holds `header`.
    static func image(header: [UInt8]) -> [UInt8] {
        TinyDICOM.part10Header(transferSyntax: "1.2.840.10008.1.2.1") + header + le.pixels2x2()
    }

    @Test("Modality stored as UN reads as its text (CR), not as a hex dump of its bytes")
    func unknownVRModality() throws {
        let bytes = Self.image(header: Self.le.element(0x0008, 0x0060, "UN", Array("CR".utf8)))
        #expect(try DICOMFile(bytes: bytes, name: "memory").string("Modality") == "CR")
        let padded = Self.image(header: Self.le.element(0x0008, 0x0060, "UN", Array("DX\\CR ".utf8)))
        #expect(try DICOMFile(bytes: padded, name: "memory").string("Modality") == "DX\\CR")
    }

    /// An image holding a private sequence stored as UN of undefined length, its item's elements implicit VR
    /// little endian, as GDCM writes a sequence its dictionary does not know.
    static func imageWithUNSequence() -> [UInt8] {
        let inside = TinyDICOM(.implicitLittle)
        var header = le.element(0x0008, 0x0060, "CS", Array("CR".utf8)) + le.element(0x0009, 0x0010, "LO", Array("ACME 1.0".utf8))
        header += le.undefinedLength(0x0009, 0x1010, "UN") + le.itemStart()
        header += inside.element(0x0020, 0x000D, "UI", Array("1.2.840.113619.2.327.3.185221411.476.1398588725.795".utf8) + [0])
        header += inside.element(0x0020, 0x000E, "UI", Array("1.2.840.113619.2.327.3.185221411.476.1398588726.276".utf8) + [0])
        header += le.itemEnd() + le.sequenceEnd()
        return image(header: header)
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
