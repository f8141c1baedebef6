import DICOMBridge
import Foundation
import Preprocess
import TestSupport
import Testing

/// PNG exactness (against hand-built files), the DICOM display pipeline on real files, and the view set.
struct RadiographLoaderTests {
    let dir = TestPaths.temporaryDirectory("loader")

    func writePNG(_ name: String, width: Int, height: Int, bitDepth: Int, colorType: UInt8, samples: [UInt16]) -> String {
        let path = dir.appendingPathComponent(name).path
        let bytes = MinimalPNG.encode(width: width, height: height, bitDepth: bitDepth, colorType: colorType, samples: samples)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test("16-bit gray PNG values arrive exact (big-endian in the file)")
    func png16() throws {
        let values: [UInt16] = [0, 1, 255, 256, 4095, 12345, 40000, 65535]
        let path = writePNG("g16.png", width: 4, height: 2, bitDepth: 16, colorType: 0, samples: values)
        let raster = try RasterImage.load(path: path)
        #expect(raster.bitDepth == 16 && raster.channels == 1)
        #expect(raster.grayValues == values)
    }

    @Test("a 16-bit PNG is shown through its 0.01–99.99 percentile window: a linear rescale of an 8-bit picture shows as the picture")
    func png16Window() throws {
        // 0 … 200 each 50 times (10050 pixels): numpy.percentile(v, [0.01, 99.99]) = 0, 200, the picture's range,
        // where the 0.5–99.5 window (1, 199) would stretch it.
        let levels = (0...200).flatMap { [UInt16](repeating: UInt16($0), count: 50) }
        let path = writePNG("w16-window.png", width: 201, height: 50, bitDepth: 16, colorType: 0,
                            samples: levels.map { $0 * 14 + 300 })
        let image = try RadiographLoader.load(path: path), window = VOITransform.pictureWindow(try RasterImage.load(path: path).luminance)
        guard case .percentile(let low, let high, 0.01, 99.99) = window else {
            Issue.record("not the picture window"); return
        }
        #expect(low == 300 && high == 300 + 14 * 200)
        #expect(zip(image.pixels, levels).allSatisfy { shown, level in abs(Double(shown) - Double(level) / 200) < 1e-6 })
        #expect(image.source.voi == window.description)
    }

    @Test("8-bit RGB and RGBA become BT.601 luminance; alpha is ignored")
    func rgb() throws {
        let rgb = writePNG("rgb.png", width: 2, height: 1, bitDepth: 8, colorType: 2, samples: [255, 0, 0, 10, 20, 30])
        let a = try RasterImage.load(path: rgb)
        #expect(abs(a.luminance[0] - 0.299 * 255) < 1e-4)
        #expect(abs(a.luminance[1] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30)) < 1e-4)
        let rgba = writePNG("rgba.png", width: 1, height: 1, bitDepth: 8, colorType: 6, samples: [0, 255, 0, 7])
        #expect(abs(try RasterImage.load(path: rgba).luminance[0] - 0.587 * 255) < 1e-4)
    }

    @Test("8-bit gray PNG displays as value / 255")
    func gray8Display() throws {
        let path = writePNG("g8.png", width: 3, height: 1, bitDepth: 8, colorType: 0, samples: [0, 51, 255])
        let image = try RadiographLoader.load(path: path)
        #expect(image.pixels == [0, 0.2, 1])
        #expect(image.source.format == .png)
    }

    @Test("a PNG cut short is refused as truncated, naming the file (libpng alone says \"Read Error\")")
    func truncatedPNG() throws {
        let whole = MinimalPNG.encode(width: 64, height: 64, bitDepth: 8, colorType: 0, samples: (0..<4096).map { UInt16($0 % 251) })
        let path = dir.appendingPathComponent("cut.png").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(whole.prefix(whole.count / 2)))
        #expect(throws: ImageReadError.truncated(file: path, reason: "truncated PNG: the data ends before the image does")) {
            try RadiographLoader.load(path: path)
        }
    }

    @Test("a blank image (one value everywhere) is skipped as no chest radiograph; one with two values is read")
    func blankImageSkipped() throws {
        let blank = writePNG("blank.png", width: 8, height: 8, bitDepth: 16, colorType: 0, samples: [UInt16](repeating: 700, count: 64))
        guard case .skipped(let reason, _) = try GatedInput.read(path: blank, gate: ChestGate()) else {
            Issue.record("a blank PNG was not skipped"); return
        }
        #expect(reason == "not a chest radiograph: a blank image (every pixel is 700)")
        let two = writePNG("two.png", width: 8, height: 8, bitDepth: 16, colorType: 0, samples: [UInt16](repeating: 700, count: 63) + [701])
        guard case .radiograph = try GatedInput.read(path: two, gate: ChestGate()) else { Issue.record("a two-valued PNG was skipped"); return }
    }

    @Test("our PNG writer and reader agree on 16-bit values")
    func pngWriteRead() throws {
        var values: [UInt16] = (0..<64).map { UInt16($0 * 1000 + 7) }
        let path = dir.appendingPathComponent("w16.png").path
        var err = [CChar](repeating: 0, count: 256)
        let status = values.withUnsafeMutableBufferPointer { buf -> Int32 in
            var raster = dcb_raster(width: 8, height: 8, channels: 1, bit_depth: 16, data: buf.baseAddress, orientation: 0)
            return dcb_png_write(path, &raster, &err, err.count)
        }
        #expect(status == 0)
        #expect(try RasterImage.load(path: path).grayValues == values)
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data"))
struct DisplayPipelineTests {
    @Test("MONOCHROME1 is inverted so that bone is bright: display = 1 - window(stored)")
    func monochrome1Regression() throws {
        let path = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let image = try RadiographLoader.load(path: path)
        #expect(image.source.inverted)
        let stored = try DICOMFile(path: path).decodeStoredValues()
        let window = VOITransform.window(center: 550, width: 1024, function: .linear)
        let expected = window.apply(stored.map(Float.init)).map { 1 - $0 }
        #expect(image.pixels == expected)
        // The lowest stored value (most attenuating: bone or collimator) is the brightest display value.
        let darkestStored = stored.indices.min { stored[$0] < stored[$1] }!
        #expect(image.pixels[darkestStored] == image.pixels.max())
    }

    @Test("the Modality LUT Sequence is used instead of rescale")
    func modalityLUTSequence() throws {
        let path = TestPaths.dicom("nonchest_CR_teeth_CR-ModalitySequenceLUT.dcm")
        let file = try DICOMFile(path: path)
        let modality = ModalityTransform.read(from: file, signed: false)
        guard case .lut(let table) = modality else { Issue.record("no LUT read: \(modality)"); return }
        let stored = try file.decodeStoredValues()
        let values = modality.apply(stored)
        for i in stride(from: 0, to: stored.count, by: 9973) {
            #expect(values[i] == Float(table.data[min(max(Int(stored[i]) - table.firstMapped, 0), table.data.count - 1)]))
        }
        let image = try RadiographLoader.load(path: path)
        #expect(image.source.modality.hasPrefix("Modality LUT"))
        #expect(image.source.inverted)
    }

    @Test("a zero or unreadable Rescale Slope is not applied and says so; no or an undefined Photometric Interpretation is refused by name; a window outside the values is not used")
    func invalidHeaderValues() throws {
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let source = TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm")
        let original = try RadiographLoader.load(path: source)
        #expect(original.source.modality == "identity")
        let dir = TestPaths.temporaryDirectory("invalid-header")
        func copy(_ name: String, _ edits: [String]) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try FileManager.default.copyItem(atPath: source, toPath: path)
            #expect(try Tool.run(dcmodify, ["-nb"] + edits + [path]).status == 0)
            return path
        }
        let zero = try RadiographLoader.load(path: try copy("slope-0.dcm", ["-i", "(0028,1053)=0", "-i", "(0028,1052)=0"]))
        #expect(zero.pixels == original.pixels)
        #expect(zero.source.modality == "identity (the file's Rescale Slope 0 is not valid: 1 used)")
        let text = try RadiographLoader.load(path: try copy("slope-text.dcm", ["-i", "(0028,1053)=abc", "-i", "(0028,1052)=x"]))
        #expect(text.pixels == original.pixels)
        #expect(text.source.modality == "identity (the file's Rescale Slope abc is not valid: 1 used; its Rescale Intercept x is not a number: 0 used)")
        let halved = try RadiographLoader.load(path: try copy("slope-half.dcm", ["-i", "(0028,1053)=0.5", "-i", "(0028,1052)=0"]))
        #expect(halved.source.modality == "rescale slope 0.5 intercept 0.0")
        do {
            _ = try RadiographLoader.load(path: try copy("no-photometric.dcm", ["-e", "(0028,0004)"]))
            Issue.record("an image without Photometric Interpretation was read")
        } catch {
            #expect("\(error)".hasSuffix("no-photometric.dcm: no Photometric Interpretation (0028,0004): what the pixel values mean is not stated"), "\(error)")
        }
        // An undefined MONOCHROME term: read as MONOCHROME2 it was a confident view of a negative.
        do {
            _ = try RadiographLoader.load(path: try copy("monochrome3.dcm", ["-m", "(0028,0004)=MONOCHROME3"]))
            Issue.record("an image with Photometric Interpretation MONOCHROME3 was read")
        } catch {
            #expect("\(error)".hasSuffix("monochrome3.dcm: Photometric Interpretation MONOCHROME3 is not a defined term (MONOCHROME1 or "
                                         + "MONOCHROME2): whether low values are black or white is not stated"), "\(error)")
        }
        #expect(try RadiographLoader.load(path: try copy("monochrome2-padded.dcm", ["-m", "(0028,0004)=MONOCHROME2 "])).pixels.count == original.pixels.count)
        // A window wholly above the image's values would show it all white: the percentile window instead, and why.
        let far = try RadiographLoader.load(path: try copy("window-far.dcm", ["-m", "(0028,1050)=100000", "-m", "(0028,1051)=10"]))
        let percentile = try RadiographLoader.load(path: try copy("window-none.dcm", ["-e", "(0028,1050)", "-e", "(0028,1051)"]))
        #expect(far.pixels == percentile.pixels && Set(far.pixels).count > 100)
        #expect(far.source.voi.hasSuffix("(the file's window, center 100000 width 10, lies outside the image's values: every pixel would show as one gray)"),
                "\(far.source.voi)")
        // LUT Sequences whose data fall short of their descriptor: not used, and said so.
        if let python = Tool.python {
            let broken = dir.appendingPathComponent("short-luts.dcm").path
            let script = """
                import sys, pydicom
                from pydicom.dataset import Dataset
                d = pydicom.dcmread(sys.argv[1])
                for keyword in ("ModalityLUTSequence", "VOILUTSequence"):
                    item = Dataset(); item.add_new(0x00283002, "US", [4096, 0, 12]); item.add_new(0x00283006, "US", [0] * 100)
                    setattr(d, keyword, [item])
                d.save_as(sys.argv[2], write_like_original=True)
                """
            #expect(try Tool.run(python, ["-c", script, source, broken]).status == 0)
            let read = try RadiographLoader.load(path: broken)
            #expect(read.pixels == original.pixels)
            #expect(read.source.modality == "identity (the file's Modality LUT Sequence is not valid (no descriptor, or fewer LUT Data entries than it declares): not used)")
            #expect(read.source.voi.hasSuffix("(the file's VOI LUT Sequence is not valid (no descriptor, or fewer LUT Data entries than it declares): not used)"), "\(read.source.voi)")
        }
        // Every pixel Pixel Padding: blank as shown, so skipped, whatever the header says.
        let padded = try copy("all-padding.dcm", ["-i", "(0028,0120)=0", "-i", "(0028,0121)=4095"])
        guard case .skipped(let reason, _) = try GatedInput.read(path: padded, gate: ChestGate()) else {
            Issue.record("an image that is all Pixel Padding was read"); return
        }
        #expect(reason == "not a chest radiograph: a blank image (every pixel shows as one gray)")
    }

    /// The bytes of lower-case hex text (what the Python references print).
    static func bytes(hex: some StringProtocol) -> [UInt8] {
        let digits = Array(hex.utf8)
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        return stride(from: 0, to: digits.count - 1, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }

    @Test("a JPEG's EXIF Orientation is applied as viewers apply it (PIL's exif_transpose is the reference), both byte orders")
    func exifOrientation() throws {
        let source = TestPaths.viewData.appendingPathComponent("PA/ba45a47c3ef5060ec39891046be7ca_jumbo.jpg").path
        let original = try Data(contentsOf: URL(fileURLWithPath: source))
        let plain = try RasterImage.load(path: source)
        #expect(plain.exifOrientation == nil)
        let dir = TestPaths.temporaryDirectory("exif")
        for orientation in 1...8 {
            // An APP1 segment right after SOI: "Exif\0\0", a TIFF header and one IFD entry, Orientation (SHORT).
            let little = orientation % 2 == 1
            func u16(_ v: Int) -> [UInt8] { little ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
            func u32(_ v: Int) -> [UInt8] { little ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
            let tiff: [UInt8] = (little ? Array("II".utf8) : Array("MM".utf8)) + u16(42) + u32(8) + u16(1)
                + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
            let payload = Array("Exif".utf8) + [0, 0] + tiff
            let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
            let path = dir.appendingPathComponent("orientation-\(orientation).jpg").path
            try Data(original.prefix(2) + segment + original.dropFirst(2)).write(to: URL(fileURLWithPath: path))
            let image = try RasterImage.load(path: path)
            #expect(image.exifOrientation == (orientation == 1 ? nil : orientation))
            let swapped = orientation >= 5
            #expect(image.width == (swapped ? plain.height : plain.width) && image.height == (swapped ? plain.width : plain.height))
            if orientation == 1 { #expect(image.grayValues == plain.grayValues) }
            if let python = Tool.python {
                let script = "import sys; from PIL import Image, ImageOps; im=ImageOps.exif_transpose(Image.open(sys.argv[1])).convert('L'); sys.stdout.write('%d %d %s' % (im.size[0], im.size[1], im.tobytes().hex()))"
                let r = try Tool.run(python, ["-c", script, path])
                let parts = r.stdout.split(separator: " ")
                #expect(parts.count == 3 && Int(parts[0]) == image.width && Int(parts[1]) == image.height, "\(r.stderr)")
                if parts.count == 3 {
                    let theirs = Self.bytes(hex: parts[2]).map(UInt16.init)
                    #expect(theirs == image.grayValues, "orientation \(orientation)")
                }
            }
        }
        let turned = try RadiographLoader.load(path: dir.appendingPathComponent("orientation-6.jpg").path)
        #expect(turned.source.decoder == "libjpeg-turbo, EXIF Orientation 6 applied (turned 90° clockwise) to show it upright")
    }

    @Test("a CMYK JPEG (Adobe, inverted) reads as PIL converts it to RGB, then to luminance; a gray one passes the colour check, a coloured one does not")
    func cmykJPEG() throws {
        let python = try #require(Tool.python, "Debian's python3 with PIL is needed")
        let dir = TestPaths.temporaryDirectory("cmyk")
        let source = TestPaths.viewData.appendingPathComponent("PA/ba45a47c3ef5060ec39891046be7ca_jumbo.jpg").path
        for (name, colour) in [("gray", "0"), ("coloured", "1")] {
            let path = dir.appendingPathComponent("\(name)-cmyk.jpg").path
            // Written by PIL (libjpeg with an Adobe marker, values inverted); read back by PIL as the reference.
            let script = """
                import sys; from PIL import Image
                im = Image.open(sys.argv[1]).convert('RGB').resize((300, 330))
                if sys.argv[3] == '1': im = Image.merge('RGB', (Image.linear_gradient('L').rotate(90).resize(im.size), im.getchannel(1), im.getchannel(2)))
                im.convert('CMYK').save(sys.argv[2], quality=90)
                back = Image.open(sys.argv[2]); assert back.mode == 'CMYK'
                sys.stdout.write(back.convert('RGB').tobytes().hex())
                """
            let r = try Tool.run(python, ["-c", script, source, path, colour])
            #expect(r.status == 0, "\(r.stderr)")
            let rgb = Self.bytes(hex: r.stdout).map(Float.init)
            let image = try RasterImage.load(path: path)
            #expect(image.width == 300 && image.height == 330 && image.channels == 3 && rgb.count == 300 * 330 * 3)
            guard rgb.count == image.luminance.count * 3 else { continue }
            var worst: Float = 0
            for i in image.luminance.indices {
                let r: Float = rgb[3 * i], g: Float = rgb[3 * i + 1], b: Float = rgb[3 * i + 2]
                let expected: Float = 0.299 * r + 0.587 * g + 0.114 * b
                worst = max(worst, abs(image.luminance[i] - expected))
            }
            #expect(worst < 1e-3, "\(name): largest difference \(worst)")
            #expect((image.colourPicture == nil) == (name == "gray"), "\(name): \(image.residualColour)")
        }
    }

    @Test("without VOI attributes an 8-bit film shows its stored range, as the same PNG would")
    func readersWindowWhenNoVOI() throws {
        let siim = TestPaths.dicom("chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm")
        let image = try RadiographLoader.load(path: siim)
        #expect(image.source.voi == "the stored range [0.0, 255.0] (no window of its own)")
        #expect(image.pixels == (try DICOMFile(path: siim).decodeStoredValues()).map { Float($0) / 255 })
        // A film of more bits without a window gets the percentile window (PixelPaddingTests).
    }

    static let views = readTSV(TestPaths.viewData.appendingPathComponent("MANIFEST.tsv"))

    @Test("every image of cxr-views loads at the manifest's size")
    func viewsLoad() throws {
        #expect(Self.views.count == 197)
        for row in Self.views {
            let path = TestPaths.viewData.appendingPathComponent(row["file"]!).path
            let image = try RadiographLoader.load(path: path)
            #expect(image.width == Int(row["width"]!) && image.height == Int(row["height"]!), "\(row["file"]!)")
            #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }
}
