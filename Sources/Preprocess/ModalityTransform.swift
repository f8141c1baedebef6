/// Stored values → modality values (PS3.3 C.11.1), computed in floating point.
///
/// DCMTK rounds fractional slopes when it renders; this keeps them exact.
public enum ModalityTransform: Sendable, Equatable, CustomStringConvertible {
    case identity
    case rescale(slope: Double, intercept: Double)
    case lut(LookupTable)

    /// The Modality LUT Sequence if present, else Rescale Slope/Intercept, else identity.
    public static func read(from file: DICOMFile, signed: Bool) -> ModalityTransform {
        if file.sequenceCount("ModalityLUTSequence") > 0,
           let table = LookupTable.read(from: file, item: "ModalityLUTSequence[0]", inputSigned: signed) {
            return .lut(table)
        }
        let slope = usableSlope(file) ?? 1
        let intercept = file.number("RescaleIntercept") ?? 0
        if slope == 1 && intercept == 0 { return .identity }
        return .rescale(slope: slope, intercept: intercept)
    }

    /// The file's Rescale Slope if it is a usable one: a zero slope would map every pixel to one value, so it is
    /// taken as the invalid value it is (as an absent or unreadable one), and 1 is used.
    static func usableSlope(_ file: DICOMFile) -> Double? {
        file.number("RescaleSlope").flatMap { $0 == 0 ? nil : $0 }
    }

    public func apply(_ stored: [Int32]) -> [Float] {
        var values = [Float](repeating: 0, count: stored.count)
        values.withUnsafeMutableBufferPointer { floats in
            floats.withMemoryRebound(to: Int32.self) { out in
                _ = out.update(fromContentsOf: stored)
                overwriteWithModalityValues(out)
            }
        }
        return values
    }

    /// Replaces each stored value by its modality value, written as a `Float`'s bit pattern: the buffer is `Float`
    /// memory seen as `Int32` (`withMemoryRebound`), so that stored values need no buffer of their own.
    func overwriteWithModalityValues(_ values: UnsafeMutableBufferPointer<Int32>) {
        @inline(__always) func put(_ value: Float, _ i: Int) { values[i] = Int32(bitPattern: value.bitPattern) }
        switch self {
        case .identity:
            for i in values.indices { put(Float(values[i]), i) }
        case .rescale(let slope, let intercept):
            for i in values.indices { put(Float(Double(values[i]) * slope + intercept), i) }
        case .lut(let table):
            for i in values.indices { put(Float(table.entry(for: Float(values[i]))), i) }
        }
    }

    public var description: String {
        switch self {
        case .identity: return "identity"
        case .rescale(let s, let i): return "rescale slope \(s) intercept \(i)"
        case .lut(let t): return "Modality LUT (\(t.data.count) entries from \(t.firstMapped), \(t.bitsPerEntry) bits)"
        }
    }
}
