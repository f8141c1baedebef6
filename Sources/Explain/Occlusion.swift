import Classifier
import TensorEngine
import Preprocess

/// Occlusion sensitivity with MATLAB's semantics: for each position of a square mask,
/// score(original) − score(occluded) for the target class's probability, averaged over the masks
/// that cover each pixel. Forward passes are batched.
public struct OcclusionSensitivity: Sendable {
    public var maskSize: Int
    public var stride: Int
    /// The value masked pixels take in the gray [0, 1] input; nil: the image's mean (MATLAB's "auto").
    public var maskValue: Float?
    public var batch: Int

    public init(maskSize: Int = 45, stride: Int = 15, maskValue: Float? = nil, batch: Int = 16) {
        precondition(maskSize > 0 && stride > 0 && batch > 0)
        self.maskSize = maskSize
        self.stride = stride
        self.maskValue = maskValue
        self.batch = batch
    }

    /// Mask origins along one axis: 0, stride, … and the last position flush with the edge.
    func origins(_ size: Int) -> [Int] {
        let last = max(0, size - maskSize)
        var o = Array(Swift.stride(from: 0, through: last, by: stride))
        if o.last != last { o.append(last) }
        return o
    }

    /// - Parameters: gray network input (size², [0, 1]); the model's options normalise it.
    /// - Returns: the raw score-difference map (size²) and the class it explains.
    public func map(network: Ensemble, gray: [Float], options: NetworkInputOptions,
                    targetClass: Int? = nil) -> (raw: [Float], targetClass: Int, probabilities: [Float]) {
        let size = options.size
        let ws = network.makeWorkspace(batch: batch)
        let base = Trainer.predict(network, grays: [gray], workspace: ws, options: options)
        let c = targetClass ?? (base[1] > base[0] ? 1 : 0)
        let fill = maskValue ?? Float(gray.reduce(0.0) { $0 + Double($1) } / Double(gray.count))
        let ys = origins(size), xs = origins(size)
        let positions = ys.flatMap { y in xs.map { (y, $0) } }
        var sum = [Float](repeating: 0, count: size * size), count = [Float](repeating: 0, count: size * size)
        let p = ParallelPredictor.probabilities(network, count: positions.count, batch: batch, options: options) { [maskSize] k in
            let (y0, x0) = positions[k]
            var g = gray
            for y in y0..<min(y0 + maskSize, size) { for x in x0..<min(x0 + maskSize, size) { g[y * size + x] = fill } }
            return g
        }
        for (k, (y0, x0)) in positions.enumerated() {
            let delta = base[c] - p[k * network.classes + c]
            for y in y0..<min(y0 + maskSize, size) {
                for x in x0..<min(x0 + maskSize, size) { sum[y * size + x] += delta; count[y * size + x] += 1 }
            }
        }
        return (zip(sum, count).map { $1 > 0 ? $0 / $1 : 0 }, c, base)
    }
}
