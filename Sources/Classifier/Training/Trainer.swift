import TensorEngine
import Foundation
import Preprocess

/// Hyper-parameters of a training run (recorded in the model card).
public struct TrainingConfig: Sendable, Codable, Equatable {
    public enum OptimizerKind: String, Sendable, Codable, CaseIterable { case adamw, sgd }

    public var epochs = 30
    public var batchSize = 32
    public var learningRate: Float = 3e-4
    public var weightDecay: Float = 1e-4
    public var optimizer: OptimizerKind = .adamw
    public var warmupEpochs = 1
    /// The pretrained layers' learning rate as a fraction of the head's (nil: the same; 0 freezes them).
    public var backboneLearningRateScale: Float?
    /// Stop when the validation loss has not improved for this many epochs (0: never; then cross-validation
    /// trains every fold for the fixed epoch count on all its training patients, with no inner split).
    public var patience = 8
    /// Average the weights of the last this-many epochs (stochastic weight averaging; 0: keep the last
    /// epoch's). SqueezeNet has no batch norm, so the average needs no statistics pass.
    public var averagedEpochs = 0
    public var seed: UInt64 = 42
    /// Train this many networks and average their weights into the one shipped ("model soup", Wortsman et al.
    /// 2022): one head initialisation (from `seed`), member m trained with seed `seed + m` for order,
    /// augmentation and dropout. Inference and explanations cost one network. nil: one network.
    public var soupMembers: Int?
    /// Train this many networks, member m wholly from seed `seed + m` (its own head initialisation too), and
    /// keep them all: the model file holds the ensemble, whose logits are the members' mean. Inference and
    /// explanations cost one pass per member. nil: one network.
    public var ensembleMembers: Int?
    public var inputSize = 227
    public var fit: String = NetworkInputOptions.Fit.pad.rawValue
    /// The input's gray levels (`NetworkInputOptions.Tone`); nil: as read (cards written before it existed).
    public var tone: String?
    /// Weight the loss by inverse class frequency (the development set is 95 PA / 85 AP / 17 L).
    public var classWeighting = true
    /// Label smoothing ε of the loss (PyTorch's `label_smoothing`): the target puts ε/K on every class.
    /// nil: none (an optional, so cards written before it existed still decode).
    public var labelSmoothing: Float?
    /// The views the model predicts, in output order (the dataset's classes).
    public var classes: [RadiographView] = [.pa, .ap, .lateral]
    public var augmentation = Augmentation()
    /// ImageNet weights to fine-tune from (nil: He initialisation from scratch).
    public var initialWeights: String?

    public init() {}

    /// The head's (or, from scratch, every layer's) initialisation: the soup's base seed for every member.
    var initialisationSeed: UInt64 { initialisationSeedOverride ?? seed }
    var initialisationSeedOverride: UInt64?

    /// How many networks a training run makes.
    public var memberCount: Int { max(1, soupMembers ?? ensembleMembers ?? 1) }

    /// The configuration member `m` of a soup or an ensemble trains with.
    public func member(_ m: Int) -> TrainingConfig {
        var c = self
        c.initialisationSeedOverride = soupMembers != nil ? seed : nil
        c.seed = seed &+ UInt64(m)
        c.soupMembers = nil
        c.ensembleMembers = nil
        return c
    }

    public var inputOptions: NetworkInputOptions {
        NetworkInputOptions(size: inputSize, fit: NetworkInputOptions.Fit(rawValue: fit) ?? .pad,
                            tone: NetworkInputOptions.Tone(rawValue: tone ?? "") ?? .asRead)
    }

    /// Cosine decay after a linear warm-up, per step.
    public func learningRate(step: Int, totalSteps: Int, stepsPerEpoch: Int) -> Float {
        let warmup = warmupEpochs * stepsPerEpoch
        if step < warmup { return learningRate * Float(step + 1) / Float(warmup) }
        let progress = Float(step - warmup) / Float(max(1, totalSteps - warmup))
        return learningRate * 0.5 * (1 + cos(.pi * min(1, progress)))
    }
}

/// One line of training progress.
public struct EpochReport: Sendable, Codable {
    public var epoch: Int
    public var epochs: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var validation: ClassificationMetrics?
    public var learningRate: Float
    public var seconds: Double

    public var line: String {
        var s = String(format: "epoch %3d/%d  loss %.4f  train acc %.3f", epoch, epochs, loss, trainAccuracy)
        if let v = validation { s += String(format: "  val loss %.4f  val acc %.3f  val bal acc %.3f", v.meanLoss, v.accuracy, v.balancedAccuracy) }
        s += String(format: "  lr %.2e  %.1f s", learningRate, seconds)
        return s
    }
}

public struct TrainingOutcome: Sendable {
    public var history: [EpochReport]
    /// The epoch whose weights were kept (best validation loss, or the last without validation).
    public var bestEpoch: Int
    public var validation: ClassificationMetrics?
}

/// Trains a SqueezeNet on prepared samples: augmentation, weighted cross-entropy, AdamW or SGD,
/// cosine schedule, early stopping on validation loss. Deterministic for a seed.
public final class Trainer {
    public let config: TrainingConfig
    public init(config: TrainingConfig) { self.config = config }

    /// A fresh model: ImageNet weights with a new head (one output per class) when configured, else He initialisation.
    public func makeModel() throws -> SqueezeNet {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: config.classes.count, inputSize: config.inputSize))
        if let path = config.initialWeights {
            let (tensors, _) = try SafeTensors.read(path: path)
            try net.load(tensors, file: path, replaceHead: true, seed: config.initialisationSeed)
        } else {
            net.initialise(seed: config.initialisationSeed)
        }
        return net
    }

    public func train(model net: SqueezeNet, train: [PreparedSample], validation: [PreparedSample],
                      progress: (EpochReport) -> Void) -> TrainingOutcome {
        trainLocked(model: net, train: train, validation: validation, progress: progress)
    }

    /// The trained model: one network, the weight average of a soup's members, or an ensemble of them; with
    /// each member and its outcome.
    public func trainModel(train: [PreparedSample], validation: [PreparedSample],
                           progress: (_ member: Int, EpochReport) -> Void) throws -> (model: Ensemble, members: [SqueezeNet], outcomes: [TrainingOutcome]) {
        guard config.memberCount > 1 else {
            let net = try makeModel()
            return (Ensemble(net), [net], [self.train(model: net, train: train, validation: validation) { progress(0, $0) }])
        }
        var members: [SqueezeNet] = [], outcomes: [TrainingOutcome] = []
        for m in 0..<config.memberCount {
            let memberTrainer = Trainer(config: config.member(m))
            let net = try memberTrainer.makeModel()
            outcomes.append(memberTrainer.train(model: net, train: train, validation: validation) { progress(m, $0) })
            members.append(net)
        }
        return (config.soupMembers != nil ? Ensemble(SqueezeNet.average(members)) : Ensemble(members), members, outcomes)
    }

    func trainLocked(model net: SqueezeNet, train: [PreparedSample], validation: [PreparedSample],
                     progress: (EpochReport) -> Void) -> TrainingOutcome {
        let batch = min(config.batchSize, max(1, train.count))
        let ws = net.makeWorkspace(batch: batch)
        let size = config.inputSize, plane = 3 * size * size
        let input = FloatBuffer(count: batch * plane)
        let grads = FloatBuffer(count: net.layout.total)
        var optimizer: any Optimizer = config.optimizer == .adamw
            ? AdamW(parameterCount: net.layout.total, weightDecay: config.weightDecay)
            : SGDMomentum(parameterCount: net.layout.total, weightDecay: config.weightDecay)
        let k = net.classes
        let counts = (0..<k).map { c in train.filter { $0.image.label == c }.count }
        let weights: [Float] = config.classWeighting
            ? counts.map { $0 > 0 ? Float(train.count) / Float(k * $0) : 0 } : [Float](repeating: 1, count: k)
        let stepsPerEpoch = (train.count + batch - 1) / batch, totalSteps = stepsPerEpoch * config.epochs
        // Everything before the classifier head (torchvision's order puts it last) is the backbone.
        let backboneScale = config.backboneLearningRateScale.map { [(0..<net.layout.offset("classifier.1.weight"), $0)] } ?? []
        var history: [EpochReport] = []
        var best: (loss: Double, epoch: Int, parameters: [Float])? = nil
        var dropoutRNG = SplitMix64(seed: config.seed &+ 17)
        var step = 0
        let averageFrom = config.averagedEpochs > 0 ? max(1, config.epochs - config.averagedEpochs + 1) : Int.max
        var average: [Double] = [], averaged = 0

        for epoch in 1...max(1, config.epochs) {
            let started = Date()
            var order = Array(train.indices)
            var shuffle = SplitMix64(seed: config.seed &* 1_000_003 &+ UInt64(epoch))
            order.shuffle(using: &shuffle)
            var lossSum = 0.0, correct = 0, lr: Float = 0
            for start in stride(from: 0, to: order.count, by: batch) {
                let members = Array(order[start..<min(start + batch, order.count)])
                fillBatch(input, members: members, samples: train, epoch: epoch, plane: plane)
                let logits = net.forward(ws, input: input.pointer, training: true, rng: &dropoutRNG)
                // Padding rows (a short last batch) carry no loss and no gradient.
                let labels = members.map { train[$0].image.label }
                let used = Array(logits.prefix(members.count * k))
                var (loss, d) = SoftmaxCrossEntropy.forwardBackward(logits: used, labels: labels, classes: k, weights: weights,
                                                                 labelSmoothing: config.labelSmoothing ?? 0)
                d += [Float](repeating: 0, count: (batch - members.count) * k)
                grads.zero()
                net.backward(ws, dlogits: d, gradients: grads)
                lr = config.learningRate(step: step, totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
                optimizer.step(parameters: net.parameters, gradients: grads, learningRate: lr, scales: backboneScale)
                step += 1
                lossSum += Double(loss) * Double(members.count)
                for (i, label) in labels.enumerated() where SoftmaxCrossEntropy.argmax(used[(i * k)..<(i * k + k)]) == label { correct += 1 }
            }
            if epoch >= averageFrom {
                let p = net.parameters.pointer
                if average.isEmpty { average = [Double](repeating: 0, count: net.layout.total) }
                for i in 0..<average.count { average[i] += Double(p[i]) }
                averaged += 1
                if epoch == config.epochs {
                    for i in 0..<average.count { p[i] = Float(average[i] / Double(averaged)) }
                }
            }
            let metrics = validation.isEmpty ? nil : evaluate(net, samples: validation, workspace: ws)
            let report = EpochReport(epoch: epoch, epochs: config.epochs, loss: lossSum / Double(train.count),
                                     trainAccuracy: Double(correct) / Double(train.count), validation: metrics,
                                     learningRate: lr, seconds: Date().timeIntervalSince(started))
            history.append(report)
            progress(report)
            if let metrics {
                if best == nil || metrics.meanLoss < best!.loss {
                    best = (metrics.meanLoss, epoch, net.parameters.array)
                } else if config.patience > 0 && epoch - best!.epoch >= config.patience {
                    break
                }
            }
        }
        var bestEpoch = history.last?.epoch ?? 0
        var finalMetrics: ClassificationMetrics? = nil
        if let best {
            best.parameters.withUnsafeBufferPointer { net.parameters.pointer.update(from: $0.baseAddress!, count: $0.count) }
            bestEpoch = best.epoch
            finalMetrics = history[best.epoch - 1].validation
        }
        return TrainingOutcome(history: history, bestEpoch: bestEpoch, validation: finalMetrics)
    }

    /// Augmented, normalised inputs for the batch members; rows past `members` are zero.
    func fillBatch(_ input: FloatBuffer, members: [Int], samples: [PreparedSample], epoch: Int, plane: Int) {
        let size = config.inputSize, options = config.inputOptions, augmentation = config.augmentation, seed = config.seed
        input.zero()
        let target = UncheckedBox(input)
        Parallel.chunks(members.count, minimumChunk: 1) { range in
            for slot in range {
                let sample = samples[members[slot]]
                // One generator per (seed, epoch, image): the same run gives the same batches on any core count.
                var rng = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9) ^ (UInt64(members[slot]) &* 0xC2B2_AE3D_27D4_EB4F))
                let gray = augmentation.apply(sample.augmentationBase, side: sample.baseSide, size: size, rng: &rng)
                let values = NetworkInput.normalize(gray: gray, options: options)
                values.withUnsafeBufferPointer { (target.value.pointer + slot * plane).update(from: $0.baseAddress!, count: plane) }
            }
        }
    }

    /// Probabilities for samples, in batches of the workspace's size (inference mode).
    public static func predict(_ model: Ensemble, grays: [[Float]], workspace ws: EnsembleWorkspace, options: NetworkInputOptions) -> [Float] {
        SoftmaxCrossEntropy.softmax(logitsAndFeatures(model, grays: grays, workspace: ws, options: options, features: false).logits,
                                    classes: model.classes)
    }

    /// Logits (N × classes) and fire9's spatially pooled activations of the first member (N × 512; empty
    /// without `features`) of samples, in batches of the workspace's size (inference mode).
    public static func logitsAndFeatures(_ model: Ensemble, grays: [[Float]], workspace ws: EnsembleWorkspace,
                                         options: NetworkInputOptions, features wanted: Bool = true) -> (logits: [Float], features: [Float]) {
        let plane = 3 * options.size * options.size
        let input = FloatBuffer(count: ws.batch * plane)
        var logits: [Float] = [], features: [Float] = []
        for start in stride(from: 0, to: grays.count, by: ws.batch) {
            let members = Array(start..<min(start + ws.batch, grays.count))
            input.zero()
            for (slot, i) in members.enumerated() {
                NetworkInput.normalize(gray: grays[i], options: options).withUnsafeBufferPointer {
                    (input.pointer + slot * plane).update(from: $0.baseAddress!, count: plane)
                }
            }
            logits += model.forward(ws, input: input.pointer).prefix(members.count * model.classes)
            if wanted { features += ws.pooledFeatures.prefix(members.count * ws.featureChannels) }
        }
        return (logits, features)
    }

    public func evaluate(_ net: SqueezeNet, samples: [PreparedSample], workspace ws: Workspace) -> ClassificationMetrics {
        let p = Self.predict(Ensemble(net), grays: samples.map(\.evaluationGray), workspace: EnsembleWorkspace([ws]), options: config.inputOptions)
        return ClassificationMetrics(probabilities: p, labels: samples.map(\.image.label), classes: net.classes)
    }
}
