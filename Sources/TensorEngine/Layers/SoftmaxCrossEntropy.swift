import Foundation

/// Softmax and (class-weighted, label-smoothed) cross-entropy, mean over the batch as PyTorch's
/// `CrossEntropyLoss(weight:, label_smoothing: ε)`:
/// loss = Σ_n [(1 − ε) · w[y_n] · −log p[n, y_n] + ε/K · Σ_j w[j] · −log p[n, j]] / Σ_n w[y_n].
public enum SoftmaxCrossEntropy {
    /// The index of the largest value (the first on ties).
    public static func argmax<C: Collection>(_ row: C) -> Int where C.Element == Float {
        var best = 0, bestValue = -Float.infinity
        for (i, v) in row.enumerated() where v > bestValue { best = i; bestValue = v }
        return best
    }

    /// Row-wise softmax of logits (N, K), numerically stable.
    public static func softmax(_ logits: [Float], classes k: Int) -> [Float] {
        var out = logits
        for n in 0..<(logits.count / k) {
            let row = logits[(n * k)..<(n * k + k)]
            let m = row.max()!
            var sum: Double = 0
            for j in 0..<k { let e = exp(Double(logits[n * k + j] - m)); out[n * k + j] = Float(e); sum += e }
            for j in 0..<k { out[n * k + j] = Float(Double(out[n * k + j]) / sum) }
        }
        return out
    }

    /// The loss and dlogits (N, K).
    public static func forwardBackward(logits: [Float], labels: [Int], classes k: Int, weights: [Float]? = nil,
                                       labelSmoothing epsilon: Float = 0) -> (loss: Float, dlogits: [Float]) {
        let n = labels.count
        precondition(logits.count == n * k)
        let classWeight = (0..<k).map { Double(weights?[$0] ?? 1) }
        let smooth = Double(epsilon) / Double(k), weightSum = classWeight.reduce(0, +)
        var d = [Float](repeating: 0, count: n * k)
        var loss: Double = 0, total: Double = 0
        for b in 0..<n {
            let row = Array(logits[(b * k)..<(b * k + k)])
            let m = row.max()!
            let logSum = log(row.reduce(0.0) { $0 + exp(Double($1 - m)) }) + Double(m)
            let y = labels[b], w = classWeight[y]
            loss += (1 - Double(epsilon)) * w * (logSum - Double(row[y]))
            total += w
            for j in 0..<k {
                let p = exp(Double(row[j]) - logSum)
                if smooth > 0 { loss += smooth * classWeight[j] * (logSum - Double(row[j])) }
                // d(−log p_i)/dz_j = p_j − δ_ij, summed over the one-hot and the smoothing terms.
                d[b * k + j] = Float((1 - Double(epsilon)) * w * (p - (j == y ? 1 : 0)) + smooth * (p * weightSum - classWeight[j]))
            }
        }
        for i in d.indices { d[i] = Float(Double(d[i]) / total) }
        return (Float(loss / total), d)
    }
}
