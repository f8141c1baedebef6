import DICOMOutput
import Preprocess
import Testing

/// Derived objects of a study's sources get distinct Instance Numbers in their per-study series.
struct DerivedNumberingTests {
    static func source(series: String?, instance: String?) throws -> DICOMFile {
        let f = DICOMFile.empty(name: "source")
        if let series { try f.put("SeriesNumber", series) }
        if let instance { try f.put("InstanceNumber", instance) }
        return f
    }

    @Test("sources of different series with the same Instance Number get different derived numbers; absent values count as 0 and 1")
    func distinct() throws {
        let a = DerivedNumbering.instanceNumber(of: try Self.source(series: "1", instance: "1"))
        let b = DerivedNumbering.instanceNumber(of: try Self.source(series: "2", instance: "1"))
        let c = DerivedNumbering.instanceNumber(of: try Self.source(series: "1", instance: "2"))
        #expect(Set([a, b, c]).count == 3)
        #expect(a == 10_001 && b == 20_001 && c == 10_002)
        #expect(DerivedNumbering.instanceNumber(of: try Self.source(series: nil, instance: nil)) == 1)
        // The largest numbers still fit Instance Number (IS, 32-bit) after the SCs' 2n.
        let big = DerivedNumbering.instanceNumber(of: try Self.source(series: "2147483647", instance: "2147483647"))
        #expect(2 * big <= Int(Int32.max))
    }
}
