/// A multinomial logistic regression on standardised features: logits = W · ((x − mean) ⊙ scale) + b.
/// Fitted by `LogisticRegression.fit`; the feature probe's classifier.
public struct LinearProbe: Sendable, Equatable {
    public var mean: [Float]
    /// 1 / (standard deviation + 10⁻⁶) per feature.
    public var scale: [Float]
    /// classes × dimension, row-major.
    public var weight: [Float]
    public var bias: [Float]
    /// The L2 strength it was fitted with (for the card).
    public var lambda: Double

    public init(mean: [Float], scale: [Float], weight: [Float], bias: [Float], lambda: Double) {
        precondition(mean.count == scale.count && weight.count == bias.count * mean.count, "probe shapes disagree")
        self.mean = mean; self.scale = scale; self.weight = weight; self.bias = bias; self.lambda = lambda
    }

    public var classes: Int { bias.count }
    public var dimension: Int { mean.count }

    /// The logits of one feature vector (accumulated in double precision).
    public func logits(_ x: ArraySlice<Float>) -> [Float] {
        precondition(x.count == dimension, "probe expects \(dimension) features, got \(x.count)")
        let base = x.startIndex
        return (0..<classes).map { k in
            var z = Double(bias[k])
            for j in 0..<dimension {
                z += Double(weight[k * dimension + j]) * Double((x[base + j] - mean[j]) * scale[j])
            }
            return Float(z)
        }
    }

    /// The logits of many feature vectors (`dimension` each, concatenated).
    public func logits(features: [Float]) -> [Float] {
        stride(from: 0, to: features.count, by: dimension).flatMap { logits(features[$0..<($0 + dimension)]) }
    }
}
