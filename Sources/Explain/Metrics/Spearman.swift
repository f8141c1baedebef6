/// Spearman's rank correlation: Pearson's correlation of the ranks, ties given their average rank
/// (as `scipy.stats.spearmanr`).
public enum Spearman {
    /// Average ranks (1-based) of `values`.
    public static func ranks<T: BinaryFloatingPoint>(_ values: [T]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }

    /// ρ of two equally long series. A constant series carries no ranking: nil (scipy gives NaN).
    public static func correlation<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double? {
        precondition(a.count == b.count, "series differ in length")
        guard a.count > 1 else { return nil }
        let ra = ranks(a), rb = ranks(b)
        let n = Double(a.count), ma = ra.reduce(0, +) / n, mb = rb.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in ra.indices {
            let x = ra[i] - ma, y = rb[i] - mb
            sab += x * y; saa += x * x; sbb += y * y
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}
