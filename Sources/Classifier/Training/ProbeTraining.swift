import Foundation
import Preprocess
import TensorEngine

/// Fitting the feature probe (`FeatureProbe`) inside `train --cross-validate`: in each fold, the fold's first
/// network's features of every film at the probe's sizes and a probe fitted on the fold's training films, λ chosen
/// by cross-validation over its training folds; for the model, the final first network's features and λ chosen
/// over all folds.
public struct ProbeTraining: Sendable {
    public let sizes: [Int]

    public init(sizes: [Int]) { self.sizes = sizes }

    public var width: Int { sizes.count * SqueezeNet.pooledTapWidth }

    /// Every image's features under `network`'s conv1 … fire9 (`width` each, in image order), read again from its
    /// file on all cores.
    public func features(of images: [LabeledImage], network: SqueezeNet, options: NetworkInputOptions,
                         progress: ((Int, Int) -> Void)? = nil) throws -> [Float] {
        let backbones = ProbeBackbones(network: network, sizes: sizes)
        let slots = LockedSlots<Result<[Float], Error>>(count: images.count)
        let done = PreparedSample.Counter()
        Parallel.chunks(images.count, minimumChunk: 1) { range in
            for i in range {
                slots.set(i, Result { backbones.features(of: try RadiographLoader.load(path: images[i].path), options: options) })
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
}
