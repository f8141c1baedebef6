import Classifier
import Preprocess
import TensorEngine

/// A map of the feature probe's evidence (README § Explanations): where on the film the probe's part of the decision
/// comes from, which Grad-CAM and LIME of the networks do not show.
///
/// The probe's logit of class k is b_k + Σ_j W_kj (φ_j − μ_j) s_j over features φ that are channel means and channel
/// maxima of fire6 and fire9 at each of its sizes. Means and maxima are positively homogeneous of degree one in the
/// maps, so gradient × activation (HiResCAM of the probe's logit at the tapped layers) splits the logit exactly: each
/// position gets Σ_c (v_k,mean_c / area) · A_c(x) plus v_k,max_c · A_c(x) where x is channel c's (first) maximum,
/// with v = W ⊙ s; the positions of all sizes add up to the logit less the constant b_k − Σ_j v_kj μ_j. Each size's
/// map is shared out over the network input's pixels keeping its sum, the sizes added (the raw map), then shown
/// smoothed to the networks' Grad-CAM grain, ReLU, scaled to its 99th percentile.
public struct ProbeMapper: Sendable {
    public let probe: FeatureProbe

    public init(probe: FeatureProbe) { self.probe = probe }

    /// Box radius for the shown map: three passes ≈ a Gaussian of σ ≈ 7.5 pixels at 227 (half a fire9 cell).
    static func displayRadius(size: Int) -> Int { max(1, Int((Double(size) * 7 / 227).rounded())) }

    /// The probe's logits split over positions: per size, classes × side² values; and the part no position holds.
    public struct Contributions: Sendable {
        public var sizes: [(side: Int, perClass: [[Double]])]
        public var constant: [Double]

        /// The probe's logits the parts add up to.
        public var logits: [Double] {
            constant.indices.map { k in constant[k] + sizes.reduce(0) { $0 + $1.perClass[k].reduce(0, +) } }
        }
    }

    /// The split of the probe's logits over the cells of `taps` (`FeatureProbe.tapMaps`, one entry per probe size).
    public func contributions(of taps: [FeatureProbe.TapMaps]) -> Contributions {
        let linear = probe.linear, classes = linear.classes, width = SqueezeNet.pooledTapWidth
        precondition(taps.count == probe.sizes.count, "one set of maps per probe size")
        var constant = linear.bias.map(Double.init)
        for k in 0..<classes {
            for j in 0..<linear.dimension {
                constant[k] -= Double(linear.weight[k * linear.dimension + j]) * Double(linear.scale[j]) * Double(linear.mean[j])
            }
        }
        var sizes: [(side: Int, perClass: [[Double]])] = []
        for (index, tap) in taps.enumerated() {
            let area = tap.side * tap.side
            var perClass = [[Double]](repeating: [Double](repeating: 0, count: area), count: classes)
            var channel = 0, featureOffset = index * width
            for (_, channels) in SqueezeNet.pooledTaps {
                for c in 0..<channels {
                    let maps = tap.values[((channel + c) * area)..<((channel + c + 1) * area)]
                    let meanFeature = featureOffset + c, maxFeature = featureOffset + channels + c
                    var top = maps.startIndex  // the first maximum: the one `pooledTaps` returns the value of
                    for i in maps.indices where maps[i] > maps[top] { top = i }
                    for k in 0..<classes {
                        let row = k * linear.dimension
                        let perMean = Double(linear.weight[row + meanFeature]) * Double(linear.scale[meanFeature]) / Double(area)
                        let perMax = Double(linear.weight[row + maxFeature]) * Double(linear.scale[maxFeature])
                        perClass[k].withUnsafeMutableBufferPointer { out in
                            for i in maps.indices { out[i - maps.startIndex] += perMean * Double(maps[i]) }
                            out[top - maps.startIndex] += perMax * Double(maps[top])
                        }
                    }
                }
                channel += channels
                featureOffset += 2 * channels
            }
            sizes.append((tap.side, perClass))
        }
        return Contributions(sizes: sizes, constant: constant)
    }

    /// The map of `targetClass` (default: the probe's own most likely class) at `size` × `size`, and its raw values:
    /// the target's share of the probe's logit per pixel (they add up to it, less the constant part). A softmax
    /// target weighs each class's parts by ∂p_target/∂z_j at the probe's temperature.
    public func map(radiograph: Radiograph, options: NetworkInputOptions, target: CAMTarget = .logit,
                    targetClass: Int? = nil) -> (map: SaliencyMap, raw: [Float]) {
        let parts = contributions(of: probe.tapMaps(of: radiograph, options: options))
        let logits = parts.logits, classes = logits.count
        let probabilities = SoftmaxCrossEntropy.softmax(logits.map { Float($0 / probe.probeTemperature) }, classes: classes)
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        let c = targetClass ?? predicted
        let coefficients: [Double] = (0..<classes).map { j in
            switch target {
            case .logit: j == c ? 1 : 0
            case .softmax: Double(probabilities[c]) * ((j == c ? 1 : 0) - Double(probabilities[j])) / probe.probeTemperature
            }
        }
        let size = options.size
        var raw = [Float](repeating: 0, count: size * size)
        for (side, perClass) in parts.sizes {
            let area = side * side
            var combined = [Float](repeating: 0, count: area)
            for i in 0..<area { combined[i] = Float((0..<classes).reduce(0) { $0 + coefficients[$1] * perClass[$1][i] }) }
            // Each output pixel belongs to one cell, which shares its value among its pixels: the raw map adds up
            // exactly to the cells' sum (the shown map is smoothed below).
            let cellOf = (0..<size).map { $0 * side / size }
            var pixels = [Int](repeating: 0, count: side)
            for c in cellOf { pixels[c] += 1 }
            for y in 0..<size {
                for x in 0..<size {
                    let cy = cellOf[y], cx = cellOf[x]
                    raw[y * size + x] += combined[cy * side + cx] / Float(pixels[cy] * pixels[cx])
                }
            }
        }
        // A channel's maximum puts its whole share on one cell (a point at 680 pixels); shown at the grain of the
        // networks' own Grad-CAM (one fire9 cell at the model's size is ~17 pixels) the two maps read alike.
        // The raw values stay unsmoothed (they add up to the logit). Channels' maxima gather at the image's corners
        // (the padded border excites many channels most), so the top 1 % of pixels is shown at full scale rather
        // than letting one corner wash out the rest of the map.
        let positive = BoxBlur.apply(raw, side: size, radius: Self.displayRadius(size: size)).map { max($0, 0) }
        let top = positive.sorted()[(positive.count - 1) * 99 / 100]
        let shown = top > 0 ? positive.map { min($0 / top, 1) } : positive.map { _ in 0 }
        return (SaliencyMap(width: size, height: size, values: shown, predictedClass: predicted, targetClass: c, probabilities: probabilities), raw)
    }
}
