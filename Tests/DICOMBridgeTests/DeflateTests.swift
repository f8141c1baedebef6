import Foundation
import Preprocess
import TestSupport
import Testing

/// The deflated transfer syntax: read like the others, and its hostile forms refused before DCMTK inflates
/// them (DCMTK keeps every value of a deflated dataset in memory: a 600 kB file cost 600 MB).
struct DeflateTests {
    static let deflatedSyntax = "1.2.840.10008.1.2.1.99"
    static let le = TinyDICOM(.explicitLittle)

    /// Preamble, "DICM" and a meta group naming the deflated transfer syntax.
    static func preambleAndMeta() -> [UInt8] { TinyDICOM.part10Header(transferSyntax: deflatedSyntax) }

    /// A 2×2 image whose dataset carries a private OB value of `2 + 258 * copies` zero bytes, deflated.
    static func zeroFilled(copies: Int) -> [UInt8] {
        let zeros = RawDeflate.zeroCount(copies: copies)
        let head = le.element(0x0008, 0x0016, "UI", Array("1.2.840.10008.5.1.4.1.1.7".utf8)) + le.element(0x0008, 0x0018, "UI", Array("2.25.1".utf8))
            + le.element(0x0008, 0x0060, "CS", Array("OT".utf8)) + le.element(0x0009, 0x0010, "LO", Array("BOMB".utf8))
            + le.u16(0x0009) + le.u16(0x1000) + Array("OB".utf8) + [0, 0] + le.u32(UInt32(zeros))
        let tail = le.pixels2x2()
        var deflate = RawDeflate()
        deflate.stored(head, final: false)
        deflate.zeros(copies: copies)
        deflate.stored(tail, final: true)
        return preambleAndMeta() + deflate.bytes
    }

    /// NestingTests' image with `depth` nested sequences, its dataset deflated (stored blocks).
    static func nested(depth: Int) -> [UInt8] {
        let plain = NestingTests.image(depth: depth, explicitVR: true)
        let metaEnd = 144 + (Int(plain[140]) | Int(plain[141]) << 8)  // the group length's value is at 140
        var deflate = RawDeflate()
        deflate.stored(Array(plain[metaEnd...]), final: true)
        return preambleAndMeta() + deflate.bytes
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = TestPaths.temporaryDirectory("deflate").appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a deflated dataset reads; one with 10 MB of zeros in a private value too")
    func deflatedReads() throws {
        for copies in [0, 40_000] {
            let bytes = Self.zeroFilled(copies: copies)
            let path = try write(bytes, "zeros-\(copies).dcm")
            let file = try DICOMFile(path: path)
            #expect(file.transferSyntaxUID == Self.deflatedSyntax)
            #expect(try file.decodeStoredValues() == [0, 64, 128, 255])
            #expect(try DICOMFile(bytes: bytes, name: "memory").decodeStoredValues() == [0, 64, 128, 255])
        }
    }

    @Test("a real image converted to deflate by dcmconv reads with the same stored values",
          .enabled(if: TestPaths.sharedDataAvailable && Tool.find("dcmconv") != nil, "needs ../shared/data and dcmconv"))
    func dcmconvDeflated() throws {
        let source = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let path = TestPaths.temporaryDirectory("deflate").appendingPathComponent("mono1-deflated.dcm").path
        #expect(try Tool.run(try #require(Tool.find("dcmconv")), ["+td", source, path]).status == 0)
        let file = try DICOMFile(path: path)
        #expect(file.transferSyntaxUID == Self.deflatedSyntax)
        #expect(try file.decodeStoredValues() == DICOMFile(path: source).decodeStoredValues())
    }

    @Test("a deflated file whose compressed stream is damaged says so, naming the file",
          .enabled(if: TestPaths.sharedDataAvailable && Tool.find("dcmconv") != nil, "needs ../shared/data and dcmconv"))
    func damagedDeflateStream() throws {
        let path = TestPaths.temporaryDirectory("deflate-damaged").appendingPathComponent("damaged.dcm").path
        #expect(try Tool.run(try #require(Tool.find("dcmconv")), ["+td", TestPaths.dicom("nonchest_CR_RG2_UNC.dcm"), path]).status == 0)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for i in bytes.count / 2..<bytes.count / 2 + 64 { bytes[i] ^= 0x77 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: ImageReadError.decodeFailed(file: path, reason: "the deflate-compressed dataset is corrupt (Invalid stream)")) {
            try DICOMFile(path: path)
        }
    }

    @Test("1.8 MB that inflate to 284 MB are refused before DCMTK inflates them, from a file and from memory")
    func deflateBomb() throws {
        let bytes = Self.zeroFilled(copies: 1_100_000)
        #expect(bytes.count < 2_000_000 && RawDeflate.zeroCount(copies: 1_100_000) > 256 << 20)
        let path = try write(bytes, "bomb.dcm")
        for attempt in 0..<2 {
            do {
                if attempt == 0 { _ = try RadiographLoader.load(path: path) } else { _ = try DICOMFile(bytes: bytes, name: path) }
                Issue.record("the deflate bomb was accepted")
            } catch {
                guard case .tooLarge(let file, let reason) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(file == path)
                #expect(reason == "the deflated dataset inflates to more than 256 MiB")
            }
        }
    }

    @Test("sequences nested inside a deflated dataset are measured after inflating")
    func deflatedNesting() throws {
        let shallow = Self.nested(depth: 3)
        #expect(try DICOMFile(path: try write(shallow, "nested-3.dcm")).decodeStoredValues() == [0, 64, 128, 255])
        let deep = Self.nested(depth: 65)
        let path = try write(deep, "nested-65.dcm")
        #expect(throws: ImageReadError.tooLarge(file: path, reason: "sequences nest deeper than 64 levels")) { try DICOMFile(path: path) }
        #expect(throws: ImageReadError.tooLarge(file: "m", reason: "sequences nest deeper than 64 levels")) { try DICOMFile(bytes: deep, name: "m") }
    }
}
