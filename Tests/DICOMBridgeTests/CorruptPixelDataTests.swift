import Foundation
import Preprocess
import TestSupport
import Testing

/// Compressed pixel data that is cut short or damaged is refused with the reason, instead of being decoded into
/// an image with a blank or garbled part: RLE by our own check of its segments, JPEG by the damage DCMTK's IJG
/// codec only logs. Every valid encoding at hand still decodes.
struct CorruptPixelDataTests {
    /// nonchest_CR_RG2_RLE.dcm: 2140 × 1760, 16 bits, so two segments of 3 766 400 bytes each.
    static let source = TestPaths.dicom("nonchest_CR_RG2_RLE.dcm")
    static let segmentBytes = 2140 * 1760

    /// The file's bytes and where its single RLE frame starts and how long it is.
    struct Layout {
        var bytes: [UInt8]
        var frameStart: Int
        var frameLength: Int
    }

    static func layout(of path: String = source) throws -> Layout {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pixelTag: [UInt8] = [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0]  // (7FE0,0010) OB, explicit VR LE
        let at = try #require((0..<(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == pixelTag })
        // Pixel Data header (12), the Basic Offset Table item (8 + its length), the frame's item header (8).
        func littleEndian32(_ i: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) } }
        let itemHeader = at + 20 + littleEndian32(at + 16)
        let length = littleEndian32(itemHeader + 4)
        return Layout(bytes: bytes, frameStart: itemHeader + 8, frameLength: length)
    }

    static func reason(_ bytes: [UInt8]) throws -> ImageReadError? {
        let file = try DICOMFile(bytes: bytes, name: "damaged")
        do {
            _ = try file.decodeStoredValues()
            return nil
        } catch {
            return error
        }
    }

    static func littleEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }

    @Test("a damaged stretch in the middle of a segment is found, though DCMTK decodes it without a word")
    func garbageInSegment() throws {
        var l = try Self.layout()
        var state: UInt32 = 12345
        let secondSegment = l.frameStart + 190_866  // the header's second offset
        for i in (secondSegment + 100_000)..<(secondSegment + 110_000) {
            state = state &* 1_103_515_245 &+ 12345
            l.bytes[i] = UInt8(truncatingIfNeeded: state >> 16)
        }
        let error = try #require(try Self.reason(l.bytes))
        #expect(error.reason.hasPrefix("RLE segment 2 of 2 "))
        #expect(error.reason.contains("corrupt"))
    }

    @Test("a frame cut short is refused as truncated, naming how much of the segment is there")
    func truncatedFrame() throws {
        let l = try Self.layout()
        let kept = l.frameLength / 2
        var bytes = Array(l.bytes[..<(l.frameStart - 4)]) + Self.littleEndian(kept)
        bytes += l.bytes[l.frameStart..<(l.frameStart + kept)]
        bytes += [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]  // Sequence Delimitation Item
        let error = try #require(try Self.reason(bytes))
        guard case .truncated(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
        #expect(reason.hasPrefix("RLE segment 2 of 2 holds "))
        #expect(reason.hasSuffix(" of its \(Self.segmentBytes) bytes: the pixel data is truncated or corrupt"))
    }

    @Test("a header with the wrong segment count or an offset outside the frame is refused by name")
    func header() throws {
        var l = try Self.layout()
        l.bytes.replaceSubrange(l.frameStart..<(l.frameStart + 4), with: Self.littleEndian(3))
        #expect(try Self.reason(l.bytes)?.reason == "RLE header declares 3 segments, the image needs 2 (one per byte of each sample)")

        l = try Self.layout()
        l.bytes.replaceSubrange((l.frameStart + 8)..<(l.frameStart + 12), with: Self.littleEndian(99_999_999))
        #expect(try Self.reason(l.bytes)?.reason ==
                "RLE header places segment 2 of 2 at byte 99999999, outside the \(l.frameLength)-byte frame or before the segment it follows")
    }

    @Test("zeros in the middle of a JPEG frame: DCMTK's IJG codec logs 'Corrupt JPEG data' and returns an image; refused",
          arguments: ["JPLL", "JPLY"])
    func damagedJPEG(_ encoding: String) throws {
        var l = try Self.layout(of: TestPaths.dicom("nonchest_CR_RG2_\(encoding).dcm"))
        let middle = l.frameStart + l.frameLength / 2
        l.bytes.replaceSubrange(middle..<(middle + 400), with: [UInt8](repeating: 0, count: 400))
        let error = try #require(try Self.reason(l.bytes))
        guard case .decodeFailed(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
        #expect(reason.hasPrefix("DCMTK dcmjpeg (IJG) cannot decode the Pixel Data (corrupt or incomplete): Corrupt JPEG data: "))
        #expect(reason.hasSuffix(" extraneous bytes before marker 0xd9"))
    }

    @Test("compressed fragments under a meta header that says uncompressed are named for what they are")
    func fragmentsUnderNativeSyntax() throws {
        guard let python = Tool.python, Tool.pydicomAvailable else {
            if Tool.required { Issue.record("pydicom missing") }
            return
        }
        let relabelled = TestPaths.temporaryDirectory("relabel").appendingPathComponent("jpll-as-native.dcm").path
        let script = "import pydicom, sys; d = pydicom.dcmread(sys.argv[1]); "
            + "d.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian; d.save_as(sys.argv[2], enforce_file_format=True)"
        let r = try Tool.run(python, ["-c", script, TestPaths.dicom("nonchest_CR_RG2_JPLL.dcm"), relabelled])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(throws: ImageReadError.invalid(file: relabelled, reason:
            "the Pixel Data holds compressed fragments, but the transfer syntax 1.2.840.10008.1.2.1 says uncompressed")) {
            try DICOMFile(path: relabelled).decodeStoredValues()
        }
    }

    @Test("DCMTK's own RLE encoder's output passes the check and decodes to the original values",
          arguments: ["dicom/chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm", "dicom/nonchest_CR_RG2_UNC.dcm",
                      "not-chest/MR_bbmri_2.dcm", "not-chest/CT_highdicom.dcm"])
    func dcmtkEncoded(_ name: String) throws {
        guard Tool.find("dcmcrle") != nil else {
            if Tool.required { Issue.record("dcmcrle missing") }
            return
        }
        let source = TestPaths.shared.appendingPathComponent("data/\(name)").path
        let encoded = TestPaths.temporaryDirectory("rle").appendingPathComponent(URL(fileURLWithPath: name).lastPathComponent).path
        let run = try Tool.run("dcmcrle", [source, encoded])
        #expect(run.status == 0, "\(run.stderr)")
        let decoded = try DICOMFile(path: encoded)
        #expect(decoded.transferSyntaxUID == "1.2.840.10008.1.2.5")
        #expect(try decoded.decodeStoredValues() == DICOMFile(path: source).decodeStoredValues())
    }
}
