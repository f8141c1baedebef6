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
    public var sizes: [Int] { backbones.sizes }
    let backbones: ProbeBackbones
    public let linear: LinearProbe
    /// The probe's weight in the decision's log-probabilities.
    public let share: Double
    /// The temperatures the networks' logits and the probe's logits are each calibrated with before they are mixed.
    public let networkTemperature: Double
    public let probeTemperature: Double

    public static let defaultSizes = [454, 680]

    /// - Parameter backbone: the network whose conv1 … fire9 give the features.
    public init(backbone: SqueezeNet, sizes: [Int], linear: LinearProbe, share: Double, networkTemperature: Double, probeTemperature: Double) {
        precondition(linear.dimension == sizes.count * SqueezeNet.pooledTapWidth, "probe width disagrees with its sizes")
        backbones = ProbeBackbones(network: backbone, sizes: sizes)
        self.linear = linear
        self.share = share
        self.networkTemperature = networkTemperature
        self.probeTemperature = probeTemperature
    }

    /// The probe's features of a radiograph (`ProbeBackbones.features`).
    public func features(of radiograph: Radiograph, options: NetworkInputOptions) -> [Float] {
        backbones.features(of: radiograph, options: options)
    }

    /// The probe's features of network inputs made beforehand, one gray image per size in `sizes` order (each as
    /// `NetworkInput.gray` at that size): for checks that change pixels before the probe sees them.
    public func features(ofGrays grays: [[Float]], options: NetworkInputOptions) -> [Float] {
        backbones.features(ofGrays: grays, options: options)
    }

    /// The tapped layers' whole maps at one of the probe's sizes: what `features` pools there.
    public struct TapMaps: Sendable {
        /// The network input's side.
        public var size: Int
        /// The maps' side.
        public var side: Int
        /// `SqueezeNet.tapChannels × side²`, channel after channel in `SqueezeNet.pooledTaps` order.
        public var values: [Float]
    }

    /// At each of the probe's sizes, the maps its features pool (`SqueezeNet.tapMaps`), for a map of its evidence.
    public func tapMaps(of radiograph: Radiograph, options: NetworkInputOptions) -> [TapMaps] {
        backbones.tapMaps(of: radiograph, options: options)
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
        let own = logProbabilities(network, classes: k, temperature: networkTemperature)
        let other = logProbabilities(probe, classes: k, temperature: probeTemperature)
        return zip(own, other).map { Float((1 - share) * $0 + share * $1) }
    }

    /// log softmax(z / T) row by row (`classes` each): the networks' part of the mix alone, for what the probe is
    /// not run on.
    public static func calibratedLogProbabilities(_ logits: [Float], classes k: Int, temperature: Double) -> [Float] {
        logProbabilities(logits, classes: k, temperature: temperature).map(Float.init)
    }

    /// log softmax(z / T) row by row, in double precision.
    static func logProbabilities(_ logits: [Float], classes k: Int, temperature: Double) -> [Double] {
        stride(from: 0, to: logits.count, by: k).flatMap { start -> [Double] in
            let z = logits[start..<(start + k)].map { Double($0) / temperature }
            let top = z.max()!
            let logSum = top + log(z.reduce(0) { $0 + exp($1 - top) })
            return z.map { $0 - logSum }
        }
    }
}

/// A network's conv1 … fire9 at each of the probe's input sizes (an architecture is fixed to its input size; the
/// one-class head is never run), and their workspaces: one per size, lent to one caller at a time and kept for the
/// next. A workspace at 680 pixels holds about 70 MB (conv1's output alone is 29 MB), so callers at once
/// (`process --jobs`, training's parallel reading) wait for it rather than each making their own; a pass is a few
/// tens of milliseconds of an image's half second, and a caller holds one size at a time (no deadlock).
final class ProbeBackbones: @unchecked Sendable {
    let sizes: [Int]
    private let networks: [SqueezeNet]
    private let available = NSCondition()
    private var idle: [Int: Workspace] = [:]
    private var lent: Set<Int> = []
    /// How many workspaces have been made (for tests: one per size, whatever the callers).
    private(set) var made = 0

    init(network: SqueezeNet, sizes: [Int]) {
        self.sizes = sizes
        let tensors = network.tensors
        networks = sizes.map { size in
            let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 1, inputSize: size))
            try! net.load(tensors, file: "network", replaceHead: true)  // every feature tensor is there: it came from a network
            return net
        }
    }

    /// At each size, the network input made as for the networks (`options` with that size), then the pooled taps:
    /// `sizes.count × SqueezeNet.pooledTapWidth` values.
    func features(of radiograph: Radiograph, options: NetworkInputOptions) -> [Float] {
        sizes.indices.flatMap { index in run(index, radiograph: radiograph, options: options) { $0.pooledTaps($1, input: $2) } }
    }

    func features(ofGrays grays: [[Float]], options: NetworkInputOptions) -> [Float] {
        precondition(grays.count == sizes.count && zip(grays, sizes).allSatisfy { $0.count == $1 * $1 }, "one gray input per probe size")
        return sizes.indices.flatMap { index in run(index, gray: grays[index], options: options) { $0.pooledTaps($1, input: $2) } }
    }

    /// The same inputs' whole tapped maps (`SqueezeNet.tapMaps`), one entry per size.
    func tapMaps(of radiograph: Radiograph, options: NetworkInputOptions) -> [FeatureProbe.TapMaps] {
        sizes.indices.map { index in
            FeatureProbe.TapMaps(size: sizes[index], side: networks[index].tapSide,
                                 values: run(index, radiograph: radiograph, options: options) { $0.tapMaps($1, input: $2) })
        }
    }

    /// The network input at size `index` made as for the networks (`options` with that size), given to `body` with
    /// that size's network and a workspace of its own.
    private func run(_ index: Int, radiograph: Radiograph, options: NetworkInputOptions,
                     _ body: (SqueezeNet, Workspace, UnsafePointer<Float>) -> [Float]) -> [Float] {
        var o = options
        o.size = sizes[index]
        return run(index, gray: NetworkInput(radiograph: radiograph, options: o).gray, options: options, body)
    }

    private func run(_ index: Int, gray: [Float], options: NetworkInputOptions,
                     _ body: (SqueezeNet, Workspace, UnsafePointer<Float>) -> [Float]) -> [Float] {
        var o = options
        o.size = sizes[index]
        let input = NetworkInput.normalize(gray: gray, options: o)
        let ws = borrow(index)
        defer { giveBack(ws, index) }
        return input.withUnsafeBufferPointer { body(networks[index], ws, $0.baseAddress!) }
    }

    private func borrow(_ index: Int) -> Workspace {
        available.lock(); defer { available.unlock() }
        while lent.contains(index) { available.wait() }
        lent.insert(index)
        if let ws = idle.removeValue(forKey: index) { return ws }
        made += 1
        return networks[index].makeWorkspace(batch: 1)
    }

    private func giveBack(_ ws: Workspace, _ index: Int) {
        available.lock(); defer { available.unlock() }
        idle[index] = ws
        lent.remove(index)
        available.broadcast()
    }
}
