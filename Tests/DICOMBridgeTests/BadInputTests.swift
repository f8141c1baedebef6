import DICOMBridge
import Foundation
@testable import Preprocess
import TestSupport
import Testing

/// Bad input gives a typed error that names the file, never a crash.
struct BadInputTests {
    let dir = TestPaths.temporaryDirectory("bad")

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func missingFile() {
        let path = dir.appendingPathComponent("absent.dcm").path
        #expect(throws: ImageReadError.io(file: path, reason: "no such file")) { try RadiographLoader.load(path: path) }
    }

    @Test func directory() {
        #expect(throws: ImageReadError.io(file: dir.path, reason: "is a directory")) { try RadiographLoader.load(path: dir.path) }
    }

    @Test func emptyFile() {
        let path = write("empty.dcm", [])
        #expect(throws: ImageReadError.self) { try RadiographLoader.load(path: path) }
        do { _ = try RadiographLoader.load(path: path) } catch { #expect(error.file == path) }
    }

    @Test("a Part 10 file without image attributes is a DICOM file that holds no image, not 'not a DICOM file'")
    func partTenWithoutImage() {
        let le = TinyDICOM(.explicitLittle)
        let path = write("no-image.dcm", TinyDICOM.part10Header(transferSyntax: "1.2.840.10008.1.2.1")
            + le.element(0x0008, 0x0005, "CS", []) + le.element(0x0008, 0x0008, "CS", Array("ORIGINAL\\PRIMARY".utf8)))
        let reason = "a DICOM file that holds no image (no SOP Class UID, Rows/Columns or Pixel Data)"
        #expect(throws: ImageReadError.noPixelData(file: path, reason: reason)) { try RadiographLoader.load(path: path) }
    }

    @Test("a data set written implicit VR under a meta header that says explicit VR is refused by name, from file and memory")
    func implicitDataUnderExplicitSyntax() {
        // Like pydicom's SC_rgb_jpeg.dcm: DCMTK would read length bytes as a VR and stop inside a garbage value.
        let implicit = TinyDICOM(.implicitLittle)
        let body = implicit.element(0x0008, 0x0060, "CS", Array("CR".utf8)) + implicit.pixels2x2()
        let reason = "the Transfer Syntax UID says explicit VR, but the data set is encoded implicit VR (the writer's error): it cannot be read reliably"
        let mislabelled = TinyDICOM.part10Header(transferSyntax: "1.2.840.10008.1.2.1") + body
        let path = write("implicit-under-explicit.dcm", mislabelled)
        #expect(throws: ImageReadError.notAnImage(file: path, reason: reason)) { try RadiographLoader.load(path: path) }
        #expect(throws: ImageReadError.notAnImage(file: "memory", reason: reason)) { try DICOMFile(bytes: mislabelled, name: "memory") }
        // The same data set under its own transfer syntax reads.
        let labelled = write("implicit.dcm", TinyDICOM.part10Header(transferSyntax: "1.2.840.10008.1.2") + body)
        #expect((try? RadiographLoader.load(path: labelled))?.width == 2)
    }

    @Test("an image format that is not read (TIFF, GIF, WebP, JPEG 2000, HEIF, BMP) fails as unsupported, named", arguments: [
        ("TIFF", [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]), ("TIFF", [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8]),
        ("GIF", Array("GIF89a".utf8) + [1, 0, 1, 0]), ("WebP", Array("RIFF".utf8) + [26, 0, 0, 0] + Array("WEBPVP8 ".utf8)),
        ("JPEG 2000", [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]), ("JPEG 2000", [0xFF, 0x4F, 0xFF, 0x51, 0, 0x2F]),
        ("HEIF/AVIF", [0, 0, 0, 0x18] + Array("ftypheic".utf8)), ("BMP", Array("BM".utf8) + [70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]),
    ] as [(String, [UInt8])])
    func unreadImageFormat(format: String, signature: [UInt8]) {
        let path = write("picture-\(format.filter(\.isLetter)).bin", signature + [UInt8](repeating: 0x55, count: 200))
        let reason = "a \(format) image: only DICOM, PNG and JPEG are read (convert it to PNG)"
        #expect(throws: ImageReadError.unsupported(file: path, reason: reason)) { try RadiographLoader.load(path: path) }
        #expect(throws: ImageReadError.unsupported(file: path, reason: reason)) {
            try GatedInput.read(path: path, gate: ChestGate())
        }
    }

    @Test("text that starts with BM is not taken for a BMP")
    func notABitmap() {
        let path = write("notes.txt", Array("BMI readings: 21, 24, 19 and more text".utf8))
        #expect(RadiographLoader.unreadImageFormat(ofFileAt: path) == nil)
    }

    @Test("random bytes are not an image", arguments: [17, 4096])
    func randomBytes(count: Int) {
        var generator = SystemRandomNumberGenerator()
        let path = write("random-\(count).bin", (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        do {
            _ = try RadiographLoader.load(path: path)
            Issue.record("random bytes loaded as an image")
        } catch {
            #expect(error.file == path)
            #expect(error.description.hasPrefix(path + ": "))
        }
    }

    @Test func pngSignatureWithGarbage() {
        let path = write("broken.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5])
        #expect(throws: ImageReadError.self) { try RadiographLoader.load(path: path) }
    }

    @Test("a PNG damaged inside (a CRC that does not match, an impossible row filter) says it is corrupt")
    func corruptPNG() throws {
        let png = MinimalPNG.encode(width: 4, height: 4, bitDepth: 8, colorType: 0, samples: [UInt16](repeating: 100, count: 16))
        var badCRC = png
        badCRC[29] ^= 0xFF  // the IHDR chunk's CRC
        let crcPath = write("crc.png", badCRC)
        #expect(throws: ImageReadError.notAnImage(file: crcPath, reason: "corrupt PNG: IHDR: CRC error")) {
            try RadiographLoader.load(path: crcPath)
        }
        // IDAT: length, type, zlib header (2), stored-block header (5), then row 0's filter byte (0..4 are defined).
        var badFilter = png
        let idat = try #require((8..<(png.count - 4)).first { Array(png[$0..<($0 + 4)]) == Array("IDAT".utf8) })
        badFilter[idat + 4 + 2 + 5] = 9
        let length = badFilter[(idat - 4)..<idat].reduce(0) { $0 << 8 | Int($1) }
        let crc = MinimalPNG.crc32(Array(badFilter[idat..<(idat + 4 + length)]))
        badFilter.replaceSubrange((idat + 4 + length)..<(idat + 8 + length), with: MinimalPNG.bigEndian32(crc))
        let filterPath = write("filter.png", badFilter)
        #expect(throws: ImageReadError.notAnImage(file: filterPath, reason: "corrupt PNG: bad adaptive filter value")) {
            try RadiographLoader.load(path: filterPath)
        }
    }

    @Test func jpegSignatureWithGarbage() {
        let path = write("broken.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3])
        do {
            _ = try RadiographLoader.load(path: path)
            Issue.record("garbage JPEG loaded")
        } catch {
            guard case .notAnImage = error else { Issue.record("wrong error \(error)"); return }
        }
    }

    @Test("a PNG declaring an absurd size is refused before allocating")
    func pngBomb() {
        // 1,000,000 x 1,000,000 gray header with almost no data.
        var png = MinimalPNG.encode(width: 1, height: 1, bitDepth: 8, colorType: 0, samples: [0])
        // Patch IHDR width/height (bytes 16..23) and recompute the CRC.
        let size: [UInt8] = [0x00, 0x0F, 0x42, 0x40]
        png.replaceSubrange(16..<20, with: size)
        png.replaceSubrange(20..<24, with: size)
        let crc = MinimalPNG.crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: MinimalPNG.bigEndian32(crc))
        let path = write("bomb.png", png)
        do {
            _ = try RadiographLoader.load(path: path)
            Issue.record("PNG bomb loaded")
        } catch {
            guard case .tooLarge = error else { Issue.record("wrong error \(error)"); return }
        }
    }

    /// A real baseline JPEG from the shared data (JPEG files cannot be made by the bridge).
    static let realJPEG: [UInt8]? = {
        let folder = TestPaths.viewData.appendingPathComponent("PA")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() else { return nil }
        for name in names where name.hasSuffix(".jpg") {
            guard let bytes = try? [UInt8](Data(contentsOf: folder.appendingPathComponent(name))),
                  bytes.starts(with: [0xFF, 0xD8, 0xFF]) else { continue }  // some ".jpg" files are PNGs
            // Baseline (SOF0): the entropy-coded data follows a single scan.
            if (0..<(bytes.count - 1)).contains(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) { return bytes }
        }
        return nil
    }()

    @Test("a truncated JPEG is an error, not an image padded with gray", .enabled(if: realJPEG != nil, "needs ../shared/data/cxr-views"))
    func truncatedJPEG() throws {
        let bytes = try #require(Self.realJPEG)
        let whole = write("whole.jpg", bytes)
        #expect(throws: Never.self) { try RadiographLoader.load(path: whole) }
        let cut = write("cut.jpg", Array(bytes.prefix(bytes.count / 2)))
        do {
            _ = try RadiographLoader.load(path: cut)
            Issue.record("truncated JPEG loaded")
        } catch {
            guard case .notAnImage(let file, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == cut)
            #expect(reason == "truncated JPEG: the data ends before the image does")
        }
    }

    @Test("a JPEG whose compressed data is interrupted or damaged is an error, not an image with a gray or garbled part",
          .enabled(if: realJPEG != nil, "needs ../shared/data/cxr-views"))
    func corruptJPEG() throws {
        let bytes = try #require(Self.realJPEG)
        var interrupted = bytes
        interrupted.replaceSubrange((bytes.count / 2)..<(bytes.count / 2 + 2), with: [0xFF, 0xD9])  // an EOI marker mid-scan
        var damaged = bytes
        var state: UInt32 = 7
        for i in (bytes.count / 2)..<(bytes.count / 2 + 300) {
            state = state &* 1_103_515_245 &+ 12345
            damaged[i] = UInt8(truncatingIfNeeded: state >> 16)
        }
        for (name, data) in [("interrupted.jpg", interrupted), ("damaged.jpg", damaged)] {
            let path = write(name, data)
            do {
                _ = try RadiographLoader.load(path: path)
                Issue.record("\(name) loaded")
            } catch {
                guard case .notAnImage(let file, let reason) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(file == path)
                #expect(reason.hasPrefix("corrupt JPEG: "), "\(reason)")
                if name == "interrupted.jpg" {
                    #expect(reason == "corrupt JPEG: a marker interrupts the compressed data before the image is complete")
                }
            }
        }
    }

    @Test("a JPEG header declaring 75 million samples over a few kilobytes is refused", .enabled(if: realJPEG != nil, "needs ../shared/data/cxr-views"))
    func jpegBomb() throws {
        var bytes = try #require(Self.realJPEG)
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0x13, 0x88, 0x13, 0x88])  // 5000 x 5000 x 3: under the limit
        let sos = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        let path = write("bomb.jpg", Array(bytes.prefix(sos + 4096)))
        do {
            _ = try RadiographLoader.load(path: path)
            Issue.record("JPEG bomb loaded")
        } catch {
            guard case .notAnImage(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason == "truncated JPEG: the data ends before the image does")
        }
    }

    /// A 64×64 RGB PNG: `colour(x, y)` gives the pixel.
    func rgbPNG(_ name: String, colour: (Int, Int) -> (Int, Int, Int)) -> String {
        var samples: [UInt16] = []
        for y in 0..<64 { for x in 0..<64 { let (r, g, b) = colour(x, y); samples += [UInt16(r), UInt16(g), UInt16(b)] } }
        return write(name, MinimalPNG.encode(width: 64, height: 64, bitDepth: 8, colorType: 2, samples: samples))
    }

    @Test("a colour picture is not a radiograph; gray stored as RGB and a tinted gray are")
    func colourPicture() throws {
        // Gray ramps stored as RGB, and the same with a blue tint that grows with brightness (photographed film).
        let gray = rgbPNG("gray-rgb.png") { x, y in let v = (x * 3 + y) % 256; return (v, v, v) }
        let tinted = rgbPNG("tinted.png") { x, y in let v = (x * 3 + y) % 200; return (v, v + v / 8, min(255, v + v / 4 + 30)) }
        #expect(try RadiographLoader.load(path: gray).width == 64)
        #expect(try RadiographLoader.load(path: tinted).width == 64)
        // Colour that brightness does not explain.
        let picture = write("picture.png", MinimalPNG.colourPicture())
        do {
            _ = try RadiographLoader.load(path: picture)
            Issue.record("a colour picture loaded as a radiograph")
        } catch {
            guard case .unsupported(let file, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == picture)
            #expect(reason.hasPrefix("not a radiograph: a colour picture (colour independent of brightness "), "\(reason)")
        }
    }
}
