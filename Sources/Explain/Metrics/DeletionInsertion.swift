import Classifier
import TensorEngine
import Preprocess

/// Deletion and insertion (Petsiuk et al., RISE): remove pixels from the image (set to black) or insert
/// them into a blurred copy, most salient first, and follow the class probability; the area under each
/// curve by the trapezoid rule over the fraction of pixels changed. Good maps: low deletion, high insertion.
/// Metrics take any map, so a random map is the baseline.
public struct DeletionInsertion: Sendable {
    public var steps: Int
    public var batch: Int

    public init(steps: Int = 32, batch: Int = 16) {
        self.steps = steps
        self.batch = batch
    }

    public struct Result: Sendable, Codable {
        public var deletionAUC: Double
        public var insertionAUC: Double
        public var deletionCurve: [Double]
        public var insertionCurve: [Double]
    }

    /// Trapezoid rule over `steps + 1` evenly spaced points on [0, 1].
    public static func auc(_ curve: [Double]) -> Double {
        guard curve.count > 1 else { return curve.first ?? 0 }
        let h = 1 / Double(curve.count - 1)
        return zip(curve, curve.dropFirst()).reduce(0) { $0 + ($1.0 + $1.1) * h / 2 }
    }

    /// A blurred copy (three passes of an 11-pixel box filter ≈ a Gaussian), the insertion start.
    public static func blurred(_ gray: [Float], side: Int, radius: Int = 5) -> [Float] {
        BoxBlur.apply(gray, side: side, radius: radius)
    }

    public func evaluate(network: Ensemble, gray: [Float], options: NetworkInputOptions, map: [Float], targetClass c: Int) -> Result {
        precondition(map.count == gray.count)
        // Most salient first; ties keep pixel order so the result is deterministic.
        let order = map.indices.sorted { map[$0] != map[$1] ? map[$0] > map[$1] : $0 < $1 }
        let blur = Self.blurred(gray, side: options.size)
        // Image s of the deletion curve (s ≤ steps), then of the insertion curve, made inside the workers.
        let p = ParallelPredictor.probabilities(network, count: 2 * (steps + 1), batch: batch, options: options) { [steps] i in
            let s = i % (steps + 1), k = gray.count * s / steps
            var d = i <= steps ? gray : blur
            for q in order.prefix(k) { d[q] = i <= steps ? 0 : gray[q] }
            return d
        }
        let pd = Array(p[0..<((steps + 1) * network.classes)]), pi = Array(p[((steps + 1) * network.classes)...])
        let classes = network.classes
        let dc = (0...steps).map { Double(pd[$0 * classes + c]) }, ic = (0...steps).map { Double(pi[$0 * classes + c]) }
        return Result(deletionAUC: Self.auc(dc), insertionAUC: Self.auc(ic), deletionCurve: dc, insertionCurve: ic)
    }

    /// The same curves through the feature probe, for its map: the probe's own probability of class `c` (at its
    /// temperature) as each of its inputs (454 and 680 pixels) loses or gains pixels in the order of `map` (at the
    /// network input's resolution) read at that input's resolution. Images run on the workers, one at a time each.
    public func evaluate(probe: FeatureProbe, radiograph: Radiograph, options: NetworkInputOptions, map: [Float], targetClass c: Int) -> Result {
        let side = options.size
        precondition(map.count == side * side)
        struct Input { var gray: [Float]; var blur: [Float]; var order: [Int] }
        let inputs = probe.sizes.map { size -> Input in
            var o = options
            o.size = size
            let gray = NetworkInput(radiograph: radiograph, options: o).gray
            let at = (0..<size).map { $0 * side / size }
            let resampled = (0..<(size * size)).map { map[at[$0 / size] * side + at[$0 % size]] }
            return Input(gray: gray, blur: Self.blurred(gray, side: size),
                         order: resampled.indices.sorted { resampled[$0] != resampled[$1] ? resampled[$0] > resampled[$1] : $0 < $1 })
        }
        let count = 2 * (steps + 1), slots = LockedSlots<Double>(count: count)
        Parallel.chunks(count, minimumChunk: 1) { range in
            for i in range {
                let s = i % (steps + 1), deleting = i <= steps
                let grays = inputs.map { input -> [Float] in
                    var d = deleting ? input.gray : input.blur
                    for q in input.order.prefix(input.gray.count * s / steps) { d[q] = deleting ? 0 : input.gray[q] }
                    return d
                }
                let z = probe.logits(features: probe.features(ofGrays: grays, options: options))
                slots.set(i, Double(SoftmaxCrossEntropy.softmax(z.map { Float(Double($0) / probe.probeTemperature) }, classes: z.count)[c]))
            }
        }
        let p = slots.values.map { $0! }
        let dc = Array(p[0...steps]), ic = Array(p[(steps + 1)...])
        return Result(deletionAUC: Self.auc(dc), insertionAUC: Self.auc(ic), deletionCurve: dc, insertionCurve: ic)
    }

    /// The probe's map and a random map of `randomSeed`, both through the probe: keyed "probe" and "random/probe".
    public func probeScores(probe: FeatureProbe, radiograph: Radiograph, options: NetworkInputOptions, map: [Float], randomSeed: UInt64,
                            targetClass c: Int) -> [String: Result] {
        [ExplanationMethod.probe.rawValue: map, "random/probe": Self.randomMap(count: map.count, seed: randomSeed)].mapValues {
            evaluate(probe: probe, radiograph: radiograph, options: options, map: $0, targetClass: c)
        }
    }

    /// A seeded uniform random map: the baseline every method should beat.
    public static func randomMap(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: 0..<1, using: &rng) }
    }
}
