import CTesseract
import Foundation
import Preprocess

/// Text burned into a film's pixels, read with Tesseract at about the film's own resolution, where the network's
/// 227-pixel input has none legible. Two readings: the film as shown, and its brightest pixels alone — a label is
/// usually drawn at the film's brightest value, and alone it reads without the anatomy's texture around it
/// (which hides "SUPINE MOBILE" in large letters from the first reading of one development film).
public struct BurnedInText: Sendable, Equatable {
    /// What Tesseract reads on the film as shown.
    public var film: String
    /// What it reads on the film's brightest pixels alone (`brightTextDepth` of the brightest value), drawn black on white.
    public var brightest: String
    /// The words of each reading with Tesseract's confidence in each: the film's, then the brightest pixels'.
    public var filmWords: [ReadWord]
    public var brightestWords: [ReadWord]

    public init(film: String, brightest: String, filmWords: [ReadWord] = [], brightestWords: [ReadWord] = []) {
        self.film = film; self.brightest = brightest; self.filmWords = filmWords; self.brightestWords = brightestWords
    }

    /// The first AP marker (`ProjectionMarker`) of the film's own reading, else of the brightest pixels', else a lone
    /// "AP" Tesseract is sure of in either. Each reading is searched on its own, so that a word ending one cannot pair
    /// with a word starting the other.
    public var apMarker: String? {
        ProjectionMarker.apMarker(in: film) ?? ProjectionMarker.apMarker(in: brightest) ?? loneMarker(.ap)
    }

    /// The first PA marker (PA ERECT, PA SITTING) of either reading, else a lone "PA" Tesseract is sure of.
    public var paMarker: String? {
        ProjectionMarker.paMarker(in: film) ?? ProjectionMarker.paMarker(in: brightest) ?? loneMarker(.pa)
    }

    private func loneMarker(_ view: RadiographView) -> String? {
        (ProjectionMarker.loneMarkers(in: filmWords) + ProjectionMarker.loneMarkers(in: brightestWords))
            .first { ProjectionMarker.view(settledBy: $0) == view }
    }

    /// The marker that speaks for the film: an AP marker, else a PA one. An AP marker wins so that a film reading
    /// both (a misread letter, or two labels) is never settled as PA: it withholds a PA instead.
    public var marker: String? { apMarker ?? paMarker }

    /// Films are read at most this many pixels on their longer side (larger ones are reduced by an integer
    /// factor): markers stay legible and a 4000-pixel film costs about a second per reading.
    public static let longestSide = 2600
    /// Smaller films are enlarged toward this many pixels on their longer side (bilinear, at most `largestEnlargement`
    /// times): the labels of a 500-pixel web copy are a few pixels tall, below the letter height Tesseract reads.
    public static let enlargedSide = 2000
    public static let largestEnlargement: Float = 4
    /// The brightest-pixels reading keeps pixels within this much of the film's brightest display value (0–1).
    /// Screened on the development films in Python (the tesseract command line, films below 2000 pixels enlarged
    /// bicubically): 25/255 and 40/255 found the same 28 of 85 AP films' markers, 60/255 26; none on the PA films at
    /// any of them. This reading (bilinear) finds the same 28, and none on the PA films.
    public static let brightTextDepth: Float = 40 / 255

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
    /// prose), or nil when Tesseract cannot run. Tesseract tries inverted text itself, so white-on-black and
    /// black-on-white markers both read in the film's own reading.
    public static func read(_ radiograph: Radiograph) -> BurnedInText? {
        guard isAvailable, radiograph.width > 0, radiograph.height > 0 else { return nil }
        let (gray, w, h) = workingImage(radiograph.pixels, width: radiograph.width, height: radiograph.height)
        guard w > 0, h > 0, let top = radiograph.pixels.max() else { return nil }
        let film = gray.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let brightest = gray.map { $0 >= top - brightTextDepth ? UInt8(0) : UInt8(255) }
        guard let readings = recognise([film, brightest], width: w, height: h) else { return nil }
        return BurnedInText(film: readings[0].text, brightest: readings[1].text,
                            filmWords: readings[0].words, brightestWords: readings[1].words)
    }

    /// The film's display values (0–1) at the size it is read at: reduced by an integer factor (block averages) when
    /// larger than `longestSide`, enlarged when smaller than `enlargedSide`.
    static func workingImage(_ pixels: [Float], width: Int, height: Int) -> (pixels: [Float], width: Int, height: Int) {
        let longer = max(width, height)
        if longer > longestSide {
            let factor = (longer + longestSide - 1) / longestSide
            let w = width / factor, h = height / factor
            var out = [Float](repeating: 0, count: w * h)
            pixels.withUnsafeBufferPointer { px in
                let scale = 1 / Float(factor * factor)
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for dy in 0..<factor {
                            let row = (y * factor + dy) * width + x * factor
                            for dx in 0..<factor { sum += px[row + dx] }
                        }
                        out[y * w + x] = sum * scale
                    }
                }
            }
            return (out, w, h)
        }
        let scale = min(largestEnlargement, Float(enlargedSide) / Float(longer))
        guard scale > 1 else { return (pixels, width, height) }
        let w = Int((Float(width) * scale).rounded()), h = Int((Float(height) * scale).rounded())
        let resampler = Resampler(sourceWidth: width, sourceHeight: height, paddedWidth: width, paddedHeight: height,
                                  offsetX: 0, offsetY: 0, outputWidth: w, outputHeight: h)
        return (resampler.apply(pixels), w, h)
    }

    /// Tesseract's sparse-text readings of 8-bit gray images of one size, in order: the text with whitespace folded
    /// to single spaces, and its words with their confidences. One Tesseract instance reads them all: setting one up
    /// costs about 0.09 s (its English model loaded), a third of a brightest-pixels reading; a new one per film keeps
    /// each film's readings its own.
    static func recognise(_ images: [[UInt8]], width w: Int, height h: Int) -> [(text: String, words: [ReadWord])]? {
        // Tesseract's LSTM asks libgomp for ten threads in each of its parallel regions: on two cores, beside
        // `--jobs` workers, that took three times the CPU for the same text. Dynamic teams bounded by one thread
        // keep every region on the calling thread (libgomp keeps both settings per thread; they are given back).
        let (dynamic, threads) = (omp_get_dynamic(), omp_get_max_threads())
        omp_set_dynamic(1)
        omp_set_num_threads(1)
        defer { omp_set_dynamic(dynamic); omp_set_num_threads(threads) }
        guard let api = TessBaseAPICreate() else { return nil }
        defer { TessBaseAPIEnd(api); TessBaseAPIDelete(api) }
        // No log file, no "invalid resolution" warning on stderr: a film carries no dpi, and 70 is what Tesseract
        // assumes then anyway.
        _ = TessBaseAPISetVariable(api, "debug_file", "/dev/null")
        guard TessBaseAPIInit3(api, nil, "eng") == 0 else { return nil }
        _ = TessBaseAPISetVariable(api, "user_defined_dpi", "70")
        TessBaseAPISetPageSegMode(api, PSM_SPARSE_TEXT)
        var readings: [(text: String, words: [ReadWord])] = []
        for bytes in images {
            precondition(bytes.count == w * h, "image size does not match \(w)x\(h)")
            let text: String? = bytes.withUnsafeBufferPointer { buf in
                TessBaseAPISetImage(api, buf.baseAddress, Int32(w), Int32(h), 1, Int32(w))
                guard let raw = TessBaseAPIGetUTF8Text(api) else { return nil }
                defer { TessDeleteText(raw) }
                return String(cString: raw)
            }
            guard let text else { return nil }
            readings.append((text.split(whereSeparator: \.isWhitespace).joined(separator: " "), words(of: api)))
        }
        return readings
    }

    /// The words of the image Tesseract has just read, in reading order, each with its confidence.
    static func words(of api: OpaquePointer) -> [ReadWord] {
        guard let iterator = TessBaseAPIGetIterator(api) else { return [] }
        defer { TessResultIteratorDelete(iterator) }
        var words: [ReadWord] = []
        repeat {
            guard let raw = TessResultIteratorGetUTF8Text(iterator, RIL_WORD) else { continue }
            defer { TessDeleteText(raw) }
            words.append(ReadWord(text: String(cString: raw), confidence: TessResultIteratorConfidence(iterator, RIL_WORD)))
        } while TessResultIteratorNext(iterator, RIL_WORD) != 0
        return words
    }
}

/// A word Tesseract read, and how sure it is of it (its word confidence, 0–100).
public struct ReadWord: Sendable, Equatable {
    public var text: String
    public var confidence: Float

    public init(text: String, confidence: Float) {
        self.text = text; self.confidence = confidence
    }
}
