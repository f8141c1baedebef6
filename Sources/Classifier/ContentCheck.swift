import COpenBLAS
import Foundation
import TensorEngine

/// "Does this look like the chest films the model was trained on?": the Mahalanobis distance of an image's
/// pooled fire9 features (square-rooted, which makes the non-negative ReLU averages closer to Gaussian) from
/// the training films' mean, under a Ledoit–Wolf shrunk covariance. Images farther than `limit` are refused
/// as not a chest radiograph. The limit is a high quantile of held-out films' distances in patient-wise
/// cross-validation (each fold's films measured against a Gaussian fitted without them).
public struct ContentCheck: Sendable, Equatable {
    public var mean: [Float]
    /// Inverse of the shrunk covariance, d × d row-major.
    public var precision: [Float]
    public var limit: Double

    public var dimension: Int { mean.count }

    public init(mean: [Float], precision: [Float], limit: Double) {
        precondition(precision.count == mean.count * mean.count)
        self.mean = mean; self.precision = precision; self.limit = limit
    }

    /// Fits the Gaussian to features (n × d, raw pooled activations). nil when fewer than 2 rows or the
    /// shrunk covariance is not positive definite.
    public static func fit(features raw: [Float], dimension d: Int, limit: Double = .infinity) -> ContentCheck? {
        let n = raw.count / d
        _ = Parallel.singleThreadedBLAS
        guard n >= 2 else { return nil }
        let x = raw.map { Double($0 < 0 ? 0 : $0).squareRoot() }
        var mu = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mu[j] += x[i * d + j] } }
        for j in 0..<d { mu[j] /= Double(n) }
        var centred = x
        for i in 0..<n { for j in 0..<d { centred[i * d + j] -= mu[j] } }
        // Sample covariance S = XᵀX / n (the maximum-likelihood form Ledoit–Wolf use).
        var s = [Double](repeating: 0, count: d * d)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1 / Double(n), centred, Int32(d), 0, &s, Int32(d))
        for j in 0..<d { for k in 0..<j { s[j * d + k] = s[k * d + j] } }
        let m = (0..<d).reduce(0.0) { $0 + s[$1 * d + $1] } / Double(d)
        var distance2 = 0.0, frobenius2 = 0.0
        for j in 0..<d { for k in 0..<d { let v = s[j * d + k]; frobenius2 += v * v; let t = v - (j == k ? m : 0); distance2 += t * t } }
        // b̄² = (1/n²) Σ‖xᵢxᵢᵀ − S‖²_F, with ‖xxᵀ − S‖²_F = ‖x‖⁴ − 2xᵀSx + ‖S‖²_F.
        var sx = [Double](repeating: 0, count: d), bBar2 = 0.0
        for i in 0..<n {
            let row = Array(centred[(i * d)..<(i * d + d)])
            cblas_dsymv(CblasRowMajor, CblasUpper, Int32(d), 1, s, Int32(d), row, 1, 0, &sx, 1)
            let norm2 = row.reduce(0) { $0 + $1 * $1 }
            let quadratic = zip(row, sx).reduce(0) { $0 + $1.0 * $1.1 }
            bBar2 += norm2 * norm2 - 2 * quadratic + frobenius2
        }
        bBar2 /= Double(n * n)
        let shrinkage = distance2 > 0 ? min(bBar2, distance2) / distance2 : 1
        var a = s.map { $0 * (1 - shrinkage) }
        for j in 0..<d { a[j * d + j] += shrinkage * m }
        var identity = [Double](repeating: 0, count: d * d)
        for j in 0..<d { identity[j * d + j] = 1 }
        var info: Int32 = 0, dim = Int32(d)
        var uplo = CChar(UInt8(ascii: "U"))
        dposv_(&uplo, &dim, &dim, &a, &dim, &identity, &dim, &info, 1)
        guard info == 0 else { return nil }
        return ContentCheck(mean: mu.map(Float.init), precision: identity.map(Float.init), limit: limit)
    }

    /// The Mahalanobis distance of one image's pooled features (d values).
    public func distance(features: ArraySlice<Float>) -> Double {
        let d = dimension
        precondition(features.count == d)
        let start = features.startIndex
        let diff = (0..<d).map { Double(max(features[start + $0], 0)).squareRoot() - Double(mean[$0]) }
        var total = 0.0
        for j in 0..<d {
            var row = 0.0
            let base = j * d
            for k in 0..<d { row += Double(precision[base + k]) * diff[k] }
            total += diff[j] * row
        }
        return max(total, 0).squareRoot()
    }

    /// Distances of n images (n × d features).
    public func distances(features: [Float]) -> [Double] {
        stride(from: 0, to: features.count, by: dimension).map { distance(features: features[$0..<($0 + dimension)]) }
    }

    public func accepts(distance: Double) -> Bool { distance <= limit }

    /// How much nearer than the film as stored a turn must lie to say the film is stored turned. Held-out
    /// upright films of the development set lie at least 1.45 nearer than any of their turns (median 11.4); stored
    /// turned by a half or a quarter turn, their nearest turn lies at least 1.45 or 3.0 nearer than they do (medians
    /// 12.0 and 17.7). 4 leaves room for films unlike them (`TurnedFilmCV` prints what it catches).
    public static let turnMargin = 4.0

    /// The quarter turns clockwise (1, 2, 3) that set a film upright, or nil: the nearest of its turns (`turned`:
    /// the distances of the film turned by one, two and three quarter turns) lies within the limit and at least
    /// `turnMargin` nearer than the film as `stored`.
    public func uprightTurn(stored: Double, turned: [Double]) -> Int? { Self.uprightTurn(stored: stored, turned: turned, limit: limit) }

    /// The same at a given limit (cross-validation's, before the model's is known).
    public static func uprightTurn(stored: Double, turned: [Double], limit: Double) -> Int? {
        guard let best = turned.indices.min(by: { turned[$0] < turned[$1] }),
              turned[best] <= limit, turned[best] <= stored - turnMargin else { return nil }
        return best + 1
    }
}
