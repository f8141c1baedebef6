import Foundation
import Preprocess
import TestSupport
import Testing

/// DCMTK's parser recurses once per sequence level: a few hundred kilobytes of nested sequences used to
/// overflow the stack (a crash at 50 000 levels). The bridge measures the nesting first, iteratively, and
/// refuses more than 64 levels with a clear error, from files and from memory, implicit and explicit VR.
struct NestingTests {
    /// A 2×2 8-bit image whose header holds `depth` nested undefined-length sequences.
    static func image(depth: Int, explicitVR: Bool) -> [UInt8] {
        let d = TinyDICOM(explicitVR ? .explicitLittle : .implicitLittle)
        var out = explicitVR ? TinyDICOM.part10Header(transferSyntax: "1.2.840.10008.1.2.1") : []
        out += d.element(0x0008, 0x0060, "CS", Array("CR".utf8))
        let open = d.undefinedLength(0x0008, 0x1115, "SQ") + d.itemStart()
        let close = d.itemEnd() + d.sequenceEnd()
        for _ in 0..<depth { out += open }
        for _ in 0..<depth { out += close }
        return out + d.pixels2x2()
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
