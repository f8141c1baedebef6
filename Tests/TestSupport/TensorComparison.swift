/// Compares tensors the way the issue states: |diff| ≤ tol · max(1, max|ref|), with a report of the
/// largest absolute and relative error and the first mismatches (like llm.c's check_tensor).
public struct TensorComparison: CustomStringConvertible, Sendable {
    public var name: String
    public var maxAbsolute: Float
    public var maxReference: Float
    public var tolerance: Float
    public var mismatches: [(index: Int, actual: Float, expected: Float)]
    public var countMismatch: Bool

    public init(_ name: String, actual: [Float], expected: [Float], tolerance: Float = 1e-4) {
        self.name = name
        self.tolerance = tolerance
        countMismatch = actual.count != expected.count
        maxReference = expected.reduce(0) { max($0, abs($1)) }
        let bound = tolerance * max(1, maxReference)
        var worst: Float = 0
        var bad: [(Int, Float, Float)] = []
        for i in 0..<min(actual.count, expected.count) {
            let d = abs(actual[i] - expected[i])
            if !(d <= bound) { if bad.count < 5 { bad.append((i, actual[i], expected[i])) } }
            worst = max(worst, d.isNaN ? .infinity : d)
        }
        maxAbsolute = worst
        mismatches = bad
    }

    public var ok: Bool { !countMismatch && mismatches.isEmpty }

    public var description: String {
        if countMismatch { return "\(name): size differs" }
        let first = mismatches.map { "[\($0.index)] \($0.actual) vs \($0.expected)" }.joined(separator: ", ")
        return "\(name): max |diff| \(maxAbsolute) (bound \(tolerance * max(1, maxReference)), max |ref| \(maxReference))"
            + (ok ? " OK" : " NOT OK: \(first)")
    }
}
