/// A loaded radiograph: display values in [0, 1] with bright bone high, and what the reader did.
public struct Radiograph: Sendable {
    public var width: Int
    public var height: Int
    /// Row-major display values in [0, 1] after Modality LUT, VOI and photometric inversion.
    public var pixels: [Float]
    public var tags: RadiographTags
    public var source: Source
    /// Statistics of the stored values (before any transform), for `inspect`.
    public var storedStatistics: Statistics

    public init(width: Int, height: Int, pixels: [Float], tags: RadiographTags, source: Source,
                storedStatistics: Statistics) {
        precondition(pixels.count == width * height, "pixel count does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.tags = tags
        self.source = source
        self.storedStatistics = storedStatistics
    }

    /// What the file was and which rules turned it into display values.
    public struct Source: Sendable, Equatable {
        public enum Format: String, Sendable { case dicom = "DICOM", png = "PNG", jpeg = "JPEG" }
        public var path: String
        public var format: Format
        public var transferSyntaxUID: String?
        public var decoder: String
        public var photometric: String
        public var modality: String
        public var voi: String
        public var inverted: Bool
        public var bitDepth: Int
        public var channels: Int
        /// The modality values the reader mapped to black and white when a DICOM file had no usable VOI of its
        /// own (an 8-bit image's stored range, else the percentile window); nil when the file's VOI LUT or
        /// window was used, and for PNG/JPEG.
        public var readerWindow: ReaderWindow? = nil
    }

    /// A window the reader chose, and how a presentation state explains it.
    public struct ReaderWindow: Sendable, Equatable {
        public var range: ClosedRange<Double>
        public var explanation: String
        public init(range: ClosedRange<Double>, explanation: String) { self.range = range; self.explanation = explanation }
    }

    public struct Statistics: Sendable, Equatable {
        public var min: Double
        public var max: Double
        public var mean: Double

        public init(_ values: [Int32]) {
            self = values.withUnsafeBufferPointer { Statistics($0) }
        }

        public init(_ values: UnsafeBufferPointer<Int32>) {
            var lo = Int32.max, hi = Int32.min, sum: Int64 = 0
            for x in values { lo = Swift.min(lo, x); hi = Swift.max(hi, x); sum += Int64(x) }
            self.min = values.isEmpty ? 0 : Double(lo)
            self.max = values.isEmpty ? 0 : Double(hi)
            self.mean = values.isEmpty ? 0 : Double(sum) / Double(values.count)
        }

        public init<S: Sequence>(_ values: S) where S.Element: BinaryInteger {
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, n = 0
            for v in values {
                let d = Double(v)
                lo = Swift.min(lo, d); hi = Swift.max(hi, d); sum += d; n += 1
            }
            self.min = n > 0 ? lo : 0
            self.max = n > 0 ? hi : 0
            self.mean = n > 0 ? sum / Double(n) : 0
        }
    }
}
