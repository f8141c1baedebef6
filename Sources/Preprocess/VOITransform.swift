import Foundation

/// Modality values → display values in [0, 1] (PS3.3 C.11.2): a VOI LUT, else the first window,
/// else the whole stored range of an 8-bit image, else a robust percentile window.
public enum VOITransform: Sendable, Equatable, CustomStringConvertible {
    case lut(LookupTable)
    case window(center: Double, width: Double, function: WindowFunction)
    /// Linear from the `low` to the `high` value (found from percentiles of the image).
    case percentile(low: Double, high: Double, lowPercent: Double, highPercent: Double)
    /// Linear over every value the stored bits can hold: an 8-bit image without a window of its own (a
    /// PNG turned DICOM, as the SIIM and NIH chest films are) is shown as that PNG is, value / 255.
    case storedRange(low: Double, high: Double)

    public enum WindowFunction: String, Sendable {
        case linear = "LINEAR", linearExact = "LINEAR_EXACT", sigmoid = "SIGMOID"
    }

    /// Percentiles used when the file has neither a VOI LUT nor a window.
    public static let defaultPercentiles = (low: 0.5, high: 99.5)

    /// Percentiles of a 16-bit PNG's window (a PNG carries none): nearly its own range, as an 8-bit export shows a
    /// film (the burned-in letters brightest), yet a few stray pixels do not set it. The 0.5–99.5 window stretched
    /// the contrast the network weighs: over the 197 development films stored as linear 16-bit copies it changed
    /// 14 decisions against 4 (mean |Δp| 0.027 against 0.008; README § Reading).
    public static let pictureWindowPercentiles = (low: 0.01, high: 99.99)

    /// The window a 16-bit PNG is shown through (reader and `convert` alike).
    public static func pictureWindow(_ values: [Float]) -> VOITransform {
        percentileWindow(values, low: pictureWindowPercentiles.low, high: pictureWindowPercentiles.high)
    }

    /// Chooses the VOI from the file: VOI LUT Sequence, else the first valid Window Center/Width (one that shows
    /// the image as more than one gray), else `storedRange` when given (an 8-bit image's 0–255), else percentiles.
    /// A percentile window would stretch such an image's contrast, which the network weighs (README § Reading).
    public static func read(from file: DICOMFile, modalityValues: [Float], storedRange: ClosedRange<Double>? = nil) -> VOITransform {
        if file.sequenceCount("VOILUTSequence") > 0,
           let table = LookupTable.read(from: file, item: "VOILUTSequence[0]", inputSigned: false) {
            return .lut(table)
        }
        if let center = file.number("WindowCenter"), let width = file.number("WindowWidth") {
            let function = WindowFunction(rawValue: file.text("VOILUTFunction")?.uppercased() ?? "LINEAR") ?? .linear
            // PS3.3 C.11.2.1.2: Window Width ≥ 1 (LINEAR, SIGMOID), > 0 (LINEAR_EXACT); otherwise unusable.
            if function == .linearExact ? width > 0 : width >= 1,
               !showsOneGray(center: center, width: width, function: function, values: modalityValues) {
                return .window(center: center, width: width, function: function)
            }
        }
        if let storedRange { return .storedRange(low: storedRange.lowerBound, high: storedRange.upperBound) }
        return percentileWindow(modalityValues)
    }

    /// Whether a linear window lies wholly below or above the image's values, so that every pixel shows as one
    /// gray (black or white): a window meant for other values (another rescale, a template), of no use here.
    public static func showsOneGray(center c: Double, width w: Double, function: WindowFunction, values: [Float]) -> Bool {
        guard function != .sigmoid, let low = values.min(), let high = values.max() else { return false }
        let (lo, hi) = function == .linearExact ? (c - w / 2, c + w / 2) : (c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)
        return Double(high) <= lo || Double(low) > hi
    }

    /// A linear window from the 0.5th to the 99.5th percentile (linear interpolation between ranks).
    public static func percentileWindow(_ values: [Float], low: Double = defaultPercentiles.low,
                                        high: Double = defaultPercentiles.high) -> VOITransform {
        let (lo, hi) = Percentiles.of(values, low, high)
        return .percentile(low: lo, high: hi, lowPercent: low, highPercent: high)
    }

    /// Whether the reader chose it (the file had no usable VOI of its own).
    public var isReadersOwn: Bool {
        switch self {
        case .percentile, .storedRange: return true
        case .lut, .window: return false
        }
    }

    public func apply(_ values: [Float]) -> [Float] {
        var out = values
        applyInPlace(&out)
        return out
    }

    /// Maps modality values to display values in place (one pass, no extra buffer).
    public func applyInPlace(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { v in
            switch self {
            case .lut(let table):
                let top = table.maxEntry
                for i in 0..<v.count { v[i] = Float(table.entry(for: v[i])) / top }
            case .window(let c, let w, .linear):
                // PS3.3 C.11.2.1.2.1: the "-0.5" and "w-1" form.
                if w <= 1 {
                    for i in 0..<v.count { v[i] = Double(v[i]) <= c - 0.5 ? 0 : 1 }
                    return
                }
                let lo = c - 0.5 - (w - 1) / 2, hi = c - 0.5 + (w - 1) / 2
                for i in 0..<v.count {
                    let x = Double(v[i])
                    v[i] = x <= lo ? 0 : (x > hi ? 1 : Float((x - (c - 0.5)) / (w - 1) + 0.5))
                }
            case .window(let c, let w, .linearExact):
                for i in 0..<v.count {
                    let x = Double(v[i])
                    v[i] = x <= c - w / 2 ? 0 : (x > c + w / 2 ? 1 : Float((x - c) / w + 0.5))
                }
            case .window(let c, let w, .sigmoid):
                for i in 0..<v.count { v[i] = Float(1 / (1 + exp(-4 * (Double(v[i]) - c) / w))) }
            case .percentile(let lo, let hi, _, _), .storedRange(let lo, let hi):
                guard hi > lo else {
                    for i in 0..<v.count { v[i] = Double(v[i]) > lo ? 1 : 0 }
                    return
                }
                let scale = 1 / (hi - lo)
                for i in 0..<v.count { v[i] = Float(min(1, max(0, (Double(v[i]) - lo) * scale))) }
            }
        }
    }

    public var description: String {
        switch self {
        case .lut(let t): return "VOI LUT (\(t.data.count) entries, \(t.bitsPerEntry) bits)"
        case .window(let c, let w, let f): return "window center \(c) width \(w) \(f.rawValue)"
        case .percentile(let lo, let hi, let pl, let ph): return "percentile window \(pl)–\(ph) % = [\(lo), \(hi)]"
        case .storedRange(let lo, let hi): return "the stored range [\(lo), \(hi)] (no window of its own)"
        }
    }
}

/// Percentiles with linear interpolation between closest ranks (numpy's default).
public enum Percentiles {
    /// Images beyond this many values are sampled on a fixed stride (deterministic).
    static let maxSamples = 1 << 20

    public static func of(_ values: [Float], _ p1: Double, _ p2: Double) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 0) }
        var sample: [Float]
        if values.count > maxSamples {
            let stride = (values.count + maxSamples - 1) / maxSamples
            sample = Swift.stride(from: 0, to: values.count, by: stride).map { values[$0] }
        } else {
            sample = values
        }
        sample.sort()
        func at(_ p: Double) -> Double {
            let rank = p / 100 * Double(sample.count - 1)
            let i = Int(rank.rounded(.down)), f = rank - Double(i)
            let a = Double(sample[i]), b = Double(sample[min(i + 1, sample.count - 1)])
            return a + (b - a) * f
        }
        return (at(p1), at(p2))
    }
}
