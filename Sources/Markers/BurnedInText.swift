import CTesseract
import Foundation
import Preprocess

/// Text burned into a film's pixels, read with Tesseract at the film's own resolution (up to
/// `BurnedInText.longestSide`), where the network's 227-pixel input has none legible.
public enum BurnedInText {
    /// Films are read at most this many pixels on their longer side (larger ones are reduced by an integer
    /// factor): markers stay legible and a 4000-pixel film costs no more than about a second.
    public static let longestSide = 2600

    /// Why nothing is read when `isAvailable` is false.
    public static let notInstalled = "Tesseract or its English data (tesseract-ocr-eng) is not installed"

    /// Whether Tesseract and its English data are installed (checked once).
    public static let isAvailable: Bool = {
        // Leptonica's messages are process-wide and nobody else in the process uses Leptonica: silenced once here.
        _ = setMsgSeverity(6)
        guard let api = TessBaseAPICreate() else { return false }
        defer { TessBaseAPIDelete(api) }
        let ok = TessBaseAPIInit3(api, nil, "eng") == 0
        TessBaseAPIEnd(api)
        return ok
    }()

    /// The words Tesseract finds anywhere on the film (sparse text: markers are scattered labels, not lines of
    /// prose), or nil when Tesseract cannot run. Display pixels 0–1 are read as 8-bit gray; Tesseract tries
    /// inverted text itself, so white-on-black and black-on-white markers both read.
    public static func read(_ radiograph: Radiograph) -> String? {
        guard isAvailable, radiograph.width > 0, radiograph.height > 0 else { return nil }
        let factor = max(1, (max(radiograph.width, radiograph.height) + longestSide - 1) / longestSide)
        let w = radiograph.width / factor, h = radiograph.height / factor
        guard w > 0, h > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: w * h)
        radiograph.pixels.withUnsafeBufferPointer { px in
            // Box-average each factor × factor block.
            let scale = 255 / Float(factor * factor)
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    for dy in 0..<factor {
                        let row = (y * factor + dy) * radiograph.width + x * factor
                        for dx in 0..<factor { sum += px[row + dx] }
                    }
                    bytes[y * w + x] = UInt8(max(0, min(255, (sum * scale).rounded())))
                }
            }
        }
        guard let api = TessBaseAPICreate() else { return nil }
        defer { TessBaseAPIEnd(api); TessBaseAPIDelete(api) }
        // No log file, no "invalid resolution" warning on stderr: a film carries no dpi, and 70 is what Tesseract
        // assumes then anyway.
        _ = TessBaseAPISetVariable(api, "debug_file", "/dev/null")
        guard TessBaseAPIInit3(api, nil, "eng") == 0 else { return nil }
        _ = TessBaseAPISetVariable(api, "user_defined_dpi", "70")
        TessBaseAPISetPageSegMode(api, PSM_SPARSE_TEXT)
        let text: String? = bytes.withUnsafeBufferPointer { buf in
            TessBaseAPISetImage(api, buf.baseAddress, Int32(w), Int32(h), 1, Int32(w))
            guard let raw = TessBaseAPIGetUTF8Text(api) else { return nil }
            defer { TessDeleteText(raw) }
            return String(cString: raw)
        }
        return text.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    }
}
