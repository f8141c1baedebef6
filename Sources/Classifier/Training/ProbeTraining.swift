import Foundation
import Preprocess
import TensorEngine

/// Fitting the frozen-feature probe (`FrozenFeatureProbe`) inside `train --cross-validate`: the pretrained
/// backbone's features of every film (computed once: the backbone never changes), a probe per fold with λ
/// chosen on that fold's training folds alone, and the final probe on every film with λ chosen over all folds.
public struct ProbeTraining {
    public let sizes: [Int]
    public let backbone: [String: SafeTensors.Tensor]
    let backbones: [SqueezeNet]
    let file: String

    /// - Parameter initialWeights: the ImageNet SqueezeNet 1.1 file (`--init`), torchvision names.
    public init(initialWeights: String, sizes: [Int]) throws {
        let tensors = try SafeTensors.read(path: initialWeights).tensors
        backbone = tensors
        file = initialWeights
        self.sizes = sizes
        backbones = try sizes.map { size in
            let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 1, inputSize: size))
            try net.load(tensors, file: initialWeights, replaceHead: true)
            return net
        }
    }

    public var width: Int { sizes.count * SqueezeNet.pooledTapWidth }

    /// Every image's features (`width` each, in image order), read again from its file on all cores.
    public func features(of images: [LabeledImage], options: NetworkInputOptions, progress: ((Int, Int) -> Void)? = nil) throws -> [Float] {
        let slots = LockedSlots<Result<[Float], Error>>(count: images.count)
        let done = PreparedSample.Counter()
        let (sizes, backbones) = (self.sizes, self.backbones)
        Parallel.chunks(images.count, minimumChunk: 1) { range in
            var workspaces: [Int: Workspace] = [:]  // this chunk's own, one per size
            for i in range {
                slots.set(i, Result {
                    let radiograph = try RadiographLoader.load(path: images[i].path)
                    return FrozenFeatureProbe.features(of: radiograph, options: options, sizes: sizes, backbones: backbones, workspace: { size in
                        if let ws = workspaces[size] { return ws }
                        let ws = backbones[sizes.firstIndex(of: size)!].makeWorkspace(batch: 1)
                        workspaces[size] = ws
                        return ws
                    }, done: { _, _ in })
                })
                progress?(done.increment(), images.count)
            }
        }
        return try slots.values.flatMap { try $0!.get() }
    }

    /// A probe fitted on `rows` of `features`, λ chosen by cross-validation over their `groups`.
    public func fit(features: [Float], labels: [Int], classes: Int, rows: [Int], groups: [Int]) -> LinearProbe {
        let d = width
        let x = rows.flatMap { features[($0 * d)..<($0 * d + d)] }, y = rows.map { labels[$0] }
        let (lambda, _) = LogisticRegression.chooseLambda(features: x, dimension: d, labels: y, classes: classes, groups: rows.map { groups[$0] })
        return LogisticRegression.fit(features: x, dimension: d, labels: y, classes: classes, lambda: lambda)
    }

    /// The shipped probe: the final linear probe with the temperatures and share fitted in cross-validation.
    public func probe(_ linear: LinearProbe, share: Double, networkTemperature: Double, probeTemperature: Double) throws -> FrozenFeatureProbe {
        try FrozenFeatureProbe(backbone: backbone, file: file, sizes: sizes, linear: linear, share: share,
                               networkTemperature: networkTemperature, probeTemperature: probeTemperature)
    }
}
