import Foundation
import Preprocess
import TensorEngine

/// A second opinion beside the networks' heads: the model's first network's conv1 … fire9, unchanged, run on the
/// film at higher resolutions than it was trained at (454 and 680 pixels by default) with fire6 and fire9 mean- and
/// max-pooled (`SqueezeNet.pooledTaps`), and a `LinearProbe` on those features. It needs no weights of its own
/// beyond the probe: the features come from weights the model file already holds. The decision's log-probabilities
/// are (1 − share) × the networks' and share × the probe's, each at its own temperature (`decisionLogits`); the
/// model's temperature and thresholds then apply to the mix as they do to a model without a probe.
/// Its cross-validated gain and cost are in README § shipped model.
public final class FeatureProbe: @unchecked Sendable {
    /// Input sides the backbone runs at, in feature order.
    public let sizes: [Int]
    /// One copy of the first network per size (an architecture is fixed to its input size; the head is never run).
    let backbones: [SqueezeNet]
    public let linear: LinearProbe
    /// The probe's weight in the decision's log-probabilities.
    public let share: Double
    /// The temperatures the networks' logits and the probe's logits are each calibrated with before they are mixed.
    public let networkTemperature: Double
    public let probeTemperature: Double

    private let lock = NSLock()
    /// Idle workspaces per size: made when a thread needs one, kept for the next image (one per concurrent caller).
    private var idle: [Int: [Workspace]] = [:]

    public static let defaultSizes = [454, 680]

    /// - Parameter backbone: the network whose conv1 … fire9 give the features.
    public init(backbone: SqueezeNet, sizes: [Int], linear: LinearProbe, share: Double, networkTemperature: Double, probeTemperature: Double) {
        precondition(linear.dimension == sizes.count * SqueezeNet.pooledTapWidth, "probe width disagrees with its sizes")
        self.sizes = sizes
        backbones = Self.backbones(of: backbone.tensors, file: "network", sizes: sizes)
        self.linear = linear
        self.share = share
        self.networkTemperature = networkTemperature
        self.probeTemperature = probeTemperature
    }

    /// `network`'s conv1 … fire9 at each size (with a one-class head that is never run).
    static func backbones(of network: [String: SafeTensors.Tensor], file: String, sizes: [Int]) -> [SqueezeNet] {
        sizes.map { size in
            let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 1, inputSize: size))
            try! net.load(network, file: file, replaceHead: true)  // every feature tensor is there: it came from a network
            return net
        }
    }

    /// The probe's features of a radiograph: at each size, the network input made as for the networks
    /// (`options` with that size), then the pooled taps.
    public func features(of radiograph: Radiograph, options: NetworkInputOptions) -> [Float] {
        Self.features(of: radiograph, options: options, sizes: sizes, backbones: backbones, workspace: workspace(size:), done: giveBack)
    }

    /// The same with backbones not yet wrapped in a probe (training fits the probe on them).
    static func features(of radiograph: Radiograph, options: NetworkInputOptions, sizes: [Int], backbones: [SqueezeNet],
                         workspace: (Int) -> Workspace, done: (Int, Workspace) -> Void) -> [Float] {
        var out: [Float] = []
        for (size, net) in zip(sizes, backbones) {
            var o = options
            o.size = size
            let input = NetworkInput.normalize(gray: NetworkInput(radiograph: radiograph, options: o).gray, options: o)
            let ws = workspace(size)
            out += input.withUnsafeBufferPointer { net.pooledTaps(ws, input: $0.baseAddress!) }
            done(size, ws)
        }
        return out
    }

    private func workspace(size: Int) -> Workspace {
        lock.lock(); defer { lock.unlock() }
        if let ws = idle[size]?.popLast() { return ws }
        return backbones[sizes.firstIndex(of: size)!].makeWorkspace(batch: 1)
    }

    private func giveBack(size: Int, _ ws: Workspace) {
        lock.lock(); defer { lock.unlock() }
        idle[size, default: []].append(ws)
    }

    /// The probe's own logits of features.
    public func logits(features: [Float]) -> [Float] { linear.logits(features: features) }

    /// What the decision's temperature and thresholds apply to: (1 − share) · log softmax(network / T_network)
    /// + share · log softmax(probe / T_probe). Without the probe's features (the negative-image check) the
    /// networks' calibrated log-probabilities stand alone.
    public func decisionLogits(network: ArraySlice<Float>, probeFeatures: [Float]?) -> [Float] {
        guard let probeFeatures else { return Self.calibratedLogProbabilities(Array(network), classes: network.count, temperature: networkTemperature) }
        return Self.mixedLogits(network: Array(network), probe: logits(features: probeFeatures), classes: network.count, share: share,
                                networkTemperature: networkTemperature, probeTemperature: probeTemperature)
    }

    /// The same over many rows (`classes` each): the networks' and the probe's logits as pooled in cross-validation.
    public static func mixedLogits(network: [Float], probe: [Float], classes k: Int, share: Double,
                                   networkTemperature: Double, probeTemperature: Double) -> [Float] {
        stride(from: 0, to: network.count, by: k).flatMap { start -> [Float] in
            let own = logSoftmax(network[start..<(start + k)].map { Double($0) / networkTemperature })
            let other = logSoftmax(probe[start..<(start + k)].map { Double($0) / probeTemperature })
            return zip(own, other).map { Float((1 - share) * $0 + share * $1) }
        }
    }

    /// log softmax(z / T) row by row (`classes` each): the networks' part of the mix alone, for what the probe is
    /// not run on.
    public static func calibratedLogProbabilities(_ logits: [Float], classes k: Int, temperature: Double) -> [Float] {
        stride(from: 0, to: logits.count, by: k).flatMap { start in
            logSoftmax(logits[start..<(start + k)].map { Double($0) / temperature }).map(Float.init)
        }
    }

    static func logSoftmax(_ z: [Double]) -> [Double] {
        let top = z.max()!
        let logSum = top + log(z.reduce(0) { $0 + exp($1 - top) })
        return z.map { $0 - logSum }
    }
}
