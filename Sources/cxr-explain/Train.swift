import ArgumentParser
import Classifier
import Foundation
import Preprocess

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train or fine-tune the PA/lateral classifier; writes the weights and a model card beside them.",
        discussion: """
            A dataset is a folder with PA/ and L/ sub-folders, or a MANIFEST.tsv with file and label columns \
            (and patient_id, so that no patient is in both training and validation). With --cross-validate K \
            the patients are split into K folds, a model is trained per fold and scored on the held-out \
            patients, then the final model is trained on all images for the median best epoch count.
            """)

    @Argument(help: "Dataset folder or MANIFEST.tsv.")
    var dataset: String

    @Option(name: .shortAndLong, help: "Where to write the weights (.safetensors); the card goes beside it.")
    var out: String

    @Option(name: .customLong("init"), help: "ImageNet weights to fine-tune from (torchvision names). Without it: from scratch.")
    var initWeights: String?

    @Option(help: "A separate validation MANIFEST.tsv (default: a patient-wise split of the dataset).")
    var val: String?

    @Option(help: "Fraction of patients held out for validation when --val is not given.")
    var valFraction = 0.2

    @Option(help: "Patient-wise cross-validation folds (0: none).")
    var crossValidate = 0

    @Option(help: "Epochs.") var epochs = 30
    @Option(help: "Mini-batch size.") var batchSize = 32
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Weight decay.") var weightDecay: Float = 1e-4
    @Option(help: "Optimizer: adamw or sgd (momentum 0.9).") var optimizer: TrainingConfig.OptimizerKind = .adamw
    @Option(help: "Early-stopping patience in epochs (0: off).") var patience = 8
    @Option(help: "Random seed: the same seed gives the same model.") var seed: UInt64 = 42
    @Flag(help: "Turn augmentation off.") var noAugment = false
    @Flag(help: "Resize each axis to the input (MATLAB's way) instead of padding to a square.") var stretch = false
    @Option(help: "A name for the model (default: the output file's name).") var name: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard epochs > 0, batchSize > 0, lr > 0 else { throw ValidationError("epochs, batch size and learning rate must be positive") }
        guard (0.05...0.5).contains(valFraction) else { throw ValidationError("--val-fraction must be between 0.05 and 0.5") }
        guard crossValidate == 0 || crossValidate >= 2 else { throw ValidationError("--cross-validate needs at least 2 folds") }
    }

    func run() throws {
        global.apply()
        var config = TrainingConfig()
        config.epochs = epochs; config.batchSize = batchSize; config.learningRate = lr; config.weightDecay = weightDecay
        config.optimizer = optimizer; config.patience = patience; config.seed = seed
        config.fit = stretch ? NetworkInputOptions.Fit.stretch.rawValue : NetworkInputOptions.Fit.pad.rawValue
        if noAugment { config.augmentation = .none }
        config.initialWeights = initWeights

        let data: Dataset
        do { data = try Dataset.load(dataset) } catch { printError("\(error)"); throw ExitCode(1) }
        let progress = Progress(label: "reading images")
        let (samples, failures) = PreparedSample.prepare(data.images, options: config.inputOptions) { progress.update($0, $1) }
        progress.finish()
        for f in failures { printError(f) }
        guard samples.count >= 4 else { printError("\(dataset): fewer than 4 readable images"); throw ExitCode(1) }
        let usable = Dataset(images: samples.map(\.image), source: data.source)
        let trainer = Trainer(config: config)
        let modelName = name ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension

        var crossValidation: ModelCard.CrossValidation?
        if crossValidate > 0 {
            crossValidation = try runCrossValidation(trainer: trainer, samples: samples, dataset: usable)
            config.epochs = crossValidation!.foldBestEpochs.sorted()[crossValidation!.foldBestEpochs.count / 2]
            config.patience = 0
            print("final model: all \(samples.count) images, \(config.epochs) epochs (median best epoch of the folds)")
        }
        let finalTrainer = Trainer(config: config)
        let (trainSamples, validationSamples, splitText) = try split(samples: samples, dataset: usable, config: config, crossValidated: crossValidation != nil)
        let net = try finalTrainer.makeModel()
        let outcome = finalTrainer.train(model: net, train: trainSamples, validation: validationSamples) { print($0.line) }

        try net.save(path: out, metadata: ModelFile.metadata(name: modelName, config: config))
        let card = ModelCard(
            name: modelName, created: ISO8601DateFormatter().string(from: Date()), codeVersion: CXRExplain.configuration.version,
            inputSize: config.inputSize, fit: config.fit, weightsFile: (out as NSString).lastPathComponent,
            weightsSHA256: try Digest.sha256Hex(ofFileAt: out), initialWeights: initWeights.map { ($0 as NSString).lastPathComponent },
            initialWeightsSHA256: try initWeights.map { try Digest.sha256Hex(ofFileAt: $0) },
            data: .init(source: dataset, digest: usable.digest, images: samples.count,
                        patients: Set(samples.map(\.image.patientID)).count,
                        classCounts: Dictionary(uniqueKeysWithValues: ViewClass.allCases.map { c in (c.name, samples.filter { $0.image.label == c.rawValue }.count) }),
                        failed: failures),
            split: splitText, config: config, epochsTrained: outcome.history.count, bestEpoch: outcome.bestEpoch,
            validation: outcome.validation, crossValidation: crossValidation, history: outcome.history)
        let base = (out as NSString).deletingPathExtension
        try card.writeJSON(to: base + ".card.json")
        try card.markdown.write(toFile: base + ".card.md", atomically: true, encoding: .utf8)
        print("wrote \(out), \(base).card.json, \(base).card.md")
        if !failures.isEmpty { throw ExitCode(1) }
    }

    func split(samples: [PreparedSample], dataset: Dataset, config: TrainingConfig, crossValidated: Bool)
        throws -> ([PreparedSample], [PreparedSample], String) {
        if crossValidated {
            return (samples, [], "all images (epochs fixed by patient-wise cross-validation)")
        }
        if let val {
            let valData = try Dataset.load(val)
            let (valSamples, failures) = PreparedSample.prepare(valData.images, options: config.inputOptions)
            for f in failures { printError(f) }
            return (samples, valSamples, "validation from \(val) (\(valSamples.count) images)")
        }
        let (t, v) = dataset.patientSplit(validationFraction: valFraction, seed: config.seed)
        let patients = Set(v.map { samples[$0].image.patientID }).count
        return (t.map { samples[$0] }, v.map { samples[$0] },
                "patient-wise: \(v.count) images of \(patients) patients held out for validation (seed \(config.seed))")
    }

    func runCrossValidation(trainer: Trainer, samples: [PreparedSample], dataset: Dataset) throws -> ModelCard.CrossValidation {
        let folds = dataset.patientFolds(crossValidate, seed: trainer.config.seed)
        var accuracies: [Double] = [], bestEpochs: [Int] = [], pooledProbabilities: [Float] = [], pooledLabels: [Int] = []
        for (k, heldOut) in folds.enumerated() {
            let rest = folds.enumerated().filter { $0.offset != k }.flatMap { $0.element }
            // Early stopping uses an inner patient-wise split of the training folds, never the held-out fold.
            let inner = dataset.subset(rest).patientSplit(validationFraction: 0.15, seed: trainer.config.seed &+ UInt64(k))
            let trainSet = inner.train.map { samples[rest[$0]] }, innerVal = inner.validation.map { samples[rest[$0]] }
            let net = try trainer.makeModel()
            print("fold \(k + 1)/\(folds.count): train \(trainSet.count), early-stopping \(innerVal.count), held out \(heldOut.count) images")
            let outcome = trainer.train(model: net, train: trainSet, validation: innerVal) { print("  " + $0.line) }
            let ws = net.makeWorkspace(batch: min(32, heldOut.count))
            let probabilities = Trainer.predict(net, grays: heldOut.map { samples[$0].evaluationGray }, workspace: ws, options: trainer.config.inputOptions)
            let labels = heldOut.map { samples[$0].image.label }
            let metrics = ClassificationMetrics(probabilities: probabilities, labels: labels)
            print(String(format: "fold %d: held-out accuracy %.4f (%d images), best epoch %d", k + 1, metrics.accuracy, heldOut.count, outcome.bestEpoch))
            accuracies.append(metrics.accuracy)
            bestEpochs.append(outcome.bestEpoch)
            pooledProbabilities += probabilities
            pooledLabels += labels
        }
        let pooled = ClassificationMetrics(probabilities: pooledProbabilities, labels: pooledLabels)
        print(String(format: "cross-validation: mean fold accuracy %.4f, pooled accuracy %.4f, balanced %.4f",
                     accuracies.reduce(0, +) / Double(accuracies.count), pooled.accuracy, pooled.balancedAccuracy))
        return .init(folds: folds.count, foldAccuracies: accuracies, foldBestEpochs: bestEpochs,
                     meanAccuracy: accuracies.reduce(0, +) / Double(accuracies.count), pooled: pooled)
    }
}

extension TrainingConfig.OptimizerKind: ExpressibleByArgument {}
