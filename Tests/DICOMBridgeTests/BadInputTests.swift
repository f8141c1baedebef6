import DICOMBridge
import Foundation
import Preprocess
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
}
