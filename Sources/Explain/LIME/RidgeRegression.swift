import COpenBLAS
import TensorEngine

/// Weighted ridge regression with an intercept, as scikit-learn's `Ridge(alpha:, fit_intercept: true)`
/// with `sample_weight`: centre X and y by their weighted means, solve (XcᵀWXc + αI)β = XcᵀWyc with
/// LAPACK's Cholesky solver (dposv), intercept = ȳ − x̄·β. Double precision throughout.
public enum RidgeRegression {
    /// - Parameters: x (n, p) row-major, y (n), weights (n).
    /// - Returns: coefficients (p) and the intercept; nil if the system is not positive definite.
    public static func fit(x: [Double], y: [Double], weights: [Double], features p: Int, alpha: Double = 1) -> (coefficients: [Double], intercept: Double)? {
        let n = y.count
        _ = Parallel.singleThreadedBLAS
        precondition(x.count == n * p && weights.count == n)
        let wsum = weights.reduce(0, +)
        var xmean = [Double](repeating: 0, count: p)
        var ymean = 0.0
        for i in 0..<n {
            ymean += weights[i] * y[i]
            for j in 0..<p { xmean[j] += weights[i] * x[i * p + j] }
        }
        ymean /= wsum
        for j in 0..<p { xmean[j] /= wsum }
        var a = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
        for i in 0..<n {
            let wi = weights[i], yc = y[i] - ymean
            for j in 0..<p {
                let xj = (x[i * p + j] - xmean[j]) * wi
                b[j] += xj * yc
                for k in j..<p { a[j * p + k] += xj * (x[i * p + k] - xmean[k]) }
            }
        }
        for j in 0..<p { a[j * p + j] += alpha; for k in 0..<j { a[j * p + k] = a[k * p + j] } }
        var info: Int32 = 0, dim = Int32(p), one: Int32 = 1
        var uplo = CChar(UInt8(ascii: "U"))
        dposv_(&uplo, &dim, &one, &a, &dim, &b, &dim, &info, 1)
        guard info == 0 else { return nil }
        let intercept = ymean - zip(xmean, b).reduce(0) { $0 + $1.0 * $1.1 }
        return (b, intercept)
    }
}
