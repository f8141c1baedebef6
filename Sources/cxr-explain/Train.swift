import ArgumentParser
import Classifier
import TensorEngine
import Foundation
import Preprocess

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train or fine-tune the view classifier; writes the weights and a model card beside them.",
        discussion: """
            A dataset is a folder with PA/, AP/ and L/ sub-folders, a MANIFEST.tsv with file and label columns \
            (and patient_id, so that no patient is in both training and validation), or PadChest's label CSV \
            with --images (PA → PA, AP and AP_horizontal → AP, L → L; other projections skipped and counted). \
            The classes are the views the dataset holds. With --cross-validate K the patients are split into K \
            folds, a model is trained per fold and scored on the held-out patients; their pooled held-out logits \
            fit the calibration temperature and choose the threshold (the lowest whose wrong-view rate stays at \
            or under --target-risk), and their held-out feature distances set the content check's limit. The \
            final model is then trained on all images for the median best epoch count.
            """)

    @Argument(help: "Dataset folder, MANIFEST.tsv or PadChest label CSV.")
    var dataset: String

    @Option(help: "Image root of a PadChest CSV (default: the CSV's folder).")
    var images: String?

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
    @Option(help: "Network input side in pixels (the model file records it).") var inputSize = 227
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Learning rate of the pretrained layers as a fraction of the head's (default: the same; 0 freezes them).")
    var backboneLrScale: Float?
    @Option(help: "Weight decay.") var weightDecay: Float = 1e-4
    @Option(help: "Label smoothing ε of the loss: the target puts ε/K on every class (PyTorch's label_smoothing).")
    var labelSmoothing: Float = 0
    @Option(help: "Optimizer: adamw or sgd (momentum 0.9).") var optimizer: TrainingConfig.OptimizerKind = .adamw
    @Option(help: "Early-stopping patience in epochs (0: off; cross-validation then trains each fold for --epochs on all its training patients).")
    var patience = 8
    @Option(help: "Average the weights of the last N epochs (stochastic weight averaging; 0: off).") var averageEpochs = 0
    @Option(help: "Random seed: the same seed gives the same model.") var seed: UInt64 = 42
    @Option(help: "Train N networks from one initialisation (seeds --seed … --seed+N−1 for order, augmentation and dropout) and ship the average of their weights: one network, inference costs nothing more.")
    var soup = 1
    @Option(help: "Train N networks, each wholly from its own seed (--seed … --seed+N−1), and ship them as an ensemble whose logits are their mean (inference and explanations then take N passes).")
    var ensemble = 1
    @Option(help: "Seed of the patient-wise folds (default: --seed); keep it fixed to compare seeds on the same folds.")
    var foldSeed: UInt64?
    @Option(help: "Write each held-out film's logits (as is and under each test-time variant) to this TSV.")
    var cvPredictions: String?
    @Flag(help: "Stop after cross-validation: print its numbers, write --cv-predictions, train no final model.")
    var cvOnly = false
    @Flag(help: "Turn augmentation off.") var noAugment = false
    @Flag(help: "Resize each axis to the input (MATLAB's way) instead of padding to a square.") var stretch = false
    @Option(help: "The gray levels the network sees: as-read; equalized (every nonzero gray level replaced by its rank, so a collection's window, gamma or contrast makes no difference); three-tones (as read, equalised and square root as the three channels); stretched (the nonzero gray levels' 0.5th–99.5th percentile stretched linearly to 0–1, so a linear change of the gray scale makes no difference). The model file records it.")
    var tone: NetworkInputOptions.Tone = .asRead
    @Option(help: "Mix a linear probe on the first network's features at higher resolutions (--probe-sizes) into the decision with this share of the log-probabilities (0: none; needs --cross-validate 3 or more).")
    var probeShare = 0.0
    @Option(help: "Input sides the first network's conv1 … fire9 run at for the probe, comma-separated.")
    var probeSizes = FeatureProbe.defaultSizes.map(String.init).joined(separator: ",")
    @Option(help: "A name for the model (default: the output file's name).") var name: String?
    @Option(help: "Highest wrong-view rate, per predicted class, among films tagged in cross-validation when choosing the thresholds.")
    var targetRisk = 0.03
    @Option(help: "Quantile of the held-out films' content distances that sets the content check's limit.")
    var contentQuantile = 0.995
    @Option(help: "Factor on that quantile (room for films unlike the training set).")
    var contentMargin = 1.0

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (64...1024).contains(inputSize) else { throw ValidationError("--input-size must be between 64 and 1024") }
        guard epochs > 0, batchSize > 0, lr > 0 else { throw ValidationError("epochs, batch size and learning rate must be positive") }
        guard backboneLrScale.map({ (0...1).contains($0) }) ?? true else { throw ValidationError("--backbone-lr-scale must be in [0, 1]") }
        // Without --init every layer is new: a scaled-down backbone rate would silently train from scratch slowly.
        guard backboneLrScale == nil || initWeights != nil else {
            throw ValidationError("--backbone-lr-scale needs --init: without pretrained weights there is no backbone to fine-tune")
        }
        guard (0..<1).contains(labelSmoothing) else { throw ValidationError("--label-smoothing must be in [0, 1)") }
        guard (0.05...0.5).contains(valFraction) else { throw ValidationError("--val-fraction must be between 0.05 and 0.5") }
        guard crossValidate == 0 || crossValidate >= 2 else { throw ValidationError("--cross-validate needs at least 2 folds") }
        guard crossValidate > 0 || (cvPredictions == nil && !cvOnly) else {
            throw ValidationError("--cv-predictions and --cv-only need --cross-validate")
        }
        guard (1...16).contains(soup), (1...16).contains(ensemble) else { throw ValidationError("--soup and --ensemble must be between 1 and 16") }
        guard soup == 1 || ensemble == 1 else { throw ValidationError("--soup and --ensemble exclude each other") }
        guard (0..<1).contains(targetRisk) else { throw ValidationError("--target-risk must be in [0, 1)") }
        guard (0..<1).contains(probeShare) else { throw ValidationError("--probe-share must be in [0, 1)") }
        // λ is chosen by cross-validation over each fold's training folds: at least two of them.
        guard probeShare == 0 || crossValidate >= 3 else {
            throw ValidationError("--probe-share needs --cross-validate 3 or more (the probe's fit and the mix's calibration)")
        }
        guard probeSizeList.count == probeSizes.split(separator: ",").count, !probeSizeList.isEmpty,
              probeSizeList.allSatisfy({ (64...1024).contains($0) }) else {
            throw ValidationError("--probe-sizes must be input sides between 64 and 1024, comma-separated")
        }
        guard (0.5...1).contains(contentQuantile), contentMargin >= 1 else {
            throw ValidationError("--content-quantile must be in [0.5, 1] and --content-margin at least 1")
        }
    }

    func run() throws {
        global.apply()
        var config = TrainingConfig()
        config.epochs = epochs; config.batchSize = batchSize; config.inputSize = inputSize; config.learningRate = lr; config.weightDecay = weightDecay
        config.labelSmoothing = labelSmoothing > 0 ? labelSmoothing : nil
        config.backboneLearningRateScale = backboneLrScale
        config.optimizer = optimizer; config.patience = patience; config.seed = seed; config.averagedEpochs = averageEpochs
        config.soupMembers = soup > 1 ? soup : nil
        config.ensembleMembers = ensemble > 1 ? ensemble : nil
        config.fit = stretch ? NetworkInputOptions.Fit.stretch.rawValue : NetworkInputOptions.Fit.pad.rawValue
        if noAugment { config.augmentation = .none }
        if tone != .asRead { config.tone = tone.rawValue }
        if tone == .equalized {
            // Equalisation undoes tonal changes; brightness and contrast would also lift the black padding off zero.
            config.augmentation.brightness = 0; config.augmentation.contrast = 1...1; config.augmentation.gamma = 1...1
        }
        config.initialWeights = initWeights

        let data: Dataset
        do { data = try Dataset.load(dataset, images: images) } catch { printError("\(error)"); throw ExitCode(1) }
        for (reason, n) in data.skipped.sorted(by: { $0.key < $1.key }) { print("skipped \(n) rows: \(reason)") }
        guard data.classes.count >= 2 else { printError("\(dataset): needs at least two views, found \(data.classes.map(\.name))"); throw ExitCode(1) }
        config.classes = data.classes
        print("classes: \(data.classes.map(\.name).joined(separator: ", ")) (\(data.classCounts.map(String.init).joined(separator: " / ")) images)")
        let progress = Progress(label: "reading images")
        let (samples, failures) = PreparedSample.prepare(data.images, options: config.inputOptions) { progress.update($0, $1) }
        progress.finish()
        for f in failures { printError(f) }
        guard samples.count >= 4 else { printError("\(dataset): fewer than 4 readable images"); throw ExitCode(1) }
        let usable = Dataset(images: samples.map(\.image), classes: data.classes, source: data.source)
        let trainer = Trainer(config: config)
        let modelName = name ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension

        var crossValidation: ModelCard.CrossValidation?
        var heldOutDistances: [Double] = []
        let probeTraining = probeShare > 0 ? ProbeTraining(sizes: probeSizeList) : nil
        let clock = TrainingClock(folds: crossValidate, members: config.memberCount, epochs: config.epochs, finalModel: !cvOnly,
                                  mayStopEarly: config.patience > 0)
        if crossValidate > 0 {
            (crossValidation, heldOutDistances) = try runCrossValidation(trainer: trainer, samples: samples, dataset: usable, clock: clock, probe: probeTraining)
            if cvOnly { return }
            if config.patience > 0 {
                config.epochs = crossValidation!.foldBestEpochs.sorted()[crossValidation!.foldBestEpochs.count / 2]
                config.patience = 0
                clock.finalModelEpochs(config.epochs)
                print("final model: all \(samples.count) images, \(config.epochs) epochs (median best epoch of the folds)")
            } else {
                print("final model: all \(samples.count) images, \(config.epochs) epochs (as each fold)")
            }
        }
        let finalTrainer = Trainer(config: config)
        let (trainSamples, validationSamples, splitText) = try split(samples: samples, dataset: usable, config: config, crossValidated: crossValidation != nil)
        let (net, _, outcomes) = try finalTrainer.trainModel(train: trainSamples, validation: validationSamples) { m, r in
            print(Self.memberLabel(m, config) + r.line + "  (" + clock.epochFinished(seconds: r.seconds) + ")")
        }
        let outcome = outcomes[0]

        // The content check: a Gaussian over every training film's features under the final model; its limit
        // from the held-out distances of cross-validation (without it, from the training films themselves).
        let ws = net.makeWorkspace(batch: min(32, samples.count))
        let trainFeatures = Trainer.logitsAndFeatures(net, grays: samples.map(\.evaluationGray), workspace: ws, options: config.inputOptions).features
        guard var check = ContentCheck.fit(features: trainFeatures, dimension: ws.featureChannels) else {
            printError("\(dataset): the content check could not be fitted (covariance not positive definite)"); throw ExitCode(1)
        }
        let limitBasis = heldOutDistances.isEmpty ? check.distances(features: trainFeatures) : heldOutDistances
        check.limit = contentLimit(limitBasis)
        print(String(format: "content check: limit %.2f (%.3f quantile %.2f of %@ distances × %.2f)", check.limit, contentQuantile,
                     Self.quantile(limitBasis, contentQuantile), heldOutDistances.isEmpty ? "training" : "held-out", contentMargin))
        let temperature = crossValidation?.temperature ?? 1
        let threshold = crossValidation?.threshold ?? ModelFile.fallbackThreshold
        let classThresholds = crossValidation?.classThresholds.map { Dictionary(uniqueKeysWithValues: zip(config.classes.map(\.name), $0)) } ?? [:]
        var metadata = ModelFile.metadata(name: modelName, config: config, temperature: temperature, threshold: threshold,
                                          classThresholds: classThresholds, contentLimit: check.limit)
        var extra = ModelFile.tensors(of: check)
        if let training = probeTraining, let summary = crossValidation?.probe {
            // The shipped probe: the final first network's features of every film, λ chosen over the cross-validation's folds.
            let features = try probeFeatures(training, network: net.members[0], samples: samples, options: config.inputOptions)
            let fold = Dataset.foldOfImage(usable.patientFolds(crossValidate, seed: foldSeed ?? config.seed), count: samples.count)
            let linear = training.fit(features: features, labels: samples.map(\.image.label), classes: config.classes.count,
                                      rows: Array(samples.indices), groups: fold)
            crossValidation!.probe!.finalLambda = linear.lambda
            let saved = ModelFile.saved(FeatureProbe(backbone: net.members[0], sizes: training.sizes, linear: linear, share: summary.share,
                                                           networkTemperature: summary.networkTemperature, probeTemperature: summary.probeTemperature))
            extra.merge(saved.tensors) { a, _ in a }
            metadata.merge(saved.metadata) { a, _ in a }
            print(String(format: "probe: λ %g on all %d films", linear.lambda, samples.count))
        }
        try ModelFile.save(net, path: out, metadata: metadata, extra: extra)
        let card = ModelCard(
            name: modelName, created: ISO8601DateFormatter().string(from: Date()), codeVersion: CXRExplain.configuration.version,
            inputSize: config.inputSize, fit: config.fit, weightsFile: (out as NSString).lastPathComponent,
            weightsSHA256: try Digest.sha256Hex(ofFileAt: out), initialWeights: initWeights.map { ($0 as NSString).lastPathComponent },
            initialWeightsSHA256: try initWeights.map { try Digest.sha256Hex(ofFileAt: $0) },
            data: .init(source: dataset, digest: usable.digest, images: samples.count,
                        patients: Set(samples.map(\.image.patientID)).count,
                        classCounts: Dictionary(uniqueKeysWithValues: config.classes.enumerated().map { c in
                            (c.element.name, samples.filter { $0.image.label == c.offset }.count) }),
                        failed: failures, skipped: data.skipped),
            split: splitText, config: config, epochsTrained: outcome.history.count, bestEpoch: outcome.bestEpoch,
            validation: outcome.validation, crossValidation: crossValidation, history: outcome.history,
            temperature: temperature, threshold: threshold,
            contentCheck: .init(limit: check.limit, quantile: contentQuantile, margin: contentMargin,
                                basis: heldOutDistances.isEmpty ? "training films" : "held-out films of the cross-validation",
                                basisMedian: Self.quantile(limitBasis, 0.5), basisMaximum: limitBasis.max() ?? 0))
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

    /// Every film's probe features under `network`, with a progress line.
    func probeFeatures(_ training: ProbeTraining, network: SqueezeNet, samples: [PreparedSample], options: NetworkInputOptions) throws -> [Float] {
        let progress = Progress(label: "probe features at \(probeSizes)")
        defer { progress.finish() }
        return try training.features(of: samples.map(\.image), network: network, options: options) { progress.update($0, $1) }
    }

    var probeSizeList: [Int] { probeSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// "member 2/3 " in progress lines of a soup or an ensemble.
    static func memberLabel(_ m: Int, _ config: TrainingConfig) -> String {
        config.memberCount > 1 ? "member \(m + 1)/\(config.memberCount) " : ""
    }

    /// The content check's limit from the distances it rests on: their `contentQuantile` quantile × `contentMargin`.
    func contentLimit(_ distances: [Double]) -> Double { Self.quantile(distances, contentQuantile) * contentMargin }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let v = values.sorted()
        guard !v.isEmpty else { return 0 }
        let position = q * Double(v.count - 1), low = Int(position.rounded(.down)), high = min(low + 1, v.count - 1)
        return v[low] + (v[high] - v[low]) * (position - Double(low))
    }

    /// Trains one model per patient-wise fold and pools the held-out logits (for calibration, the threshold
    /// and the card) and the held-out content distances (each fold's films against a Gaussian fitted to its
    /// training films under its own model).
    func runCrossValidation(trainer: Trainer, samples: [PreparedSample], dataset: Dataset, clock: TrainingClock,
                            probe: ProbeTraining?) throws -> (ModelCard.CrossValidation, [Double]) {
        let folds = dataset.patientFolds(crossValidate, seed: foldSeed ?? trainer.config.seed)
        let sampleFold = Dataset.foldOfImage(folds, count: samples.count)
        var pooledProbe: [Float] = [], foldLambdas: [Double] = []
        let k = dataset.classes.count
        var predictionLines = ["path\tpatient\tlabel\tfold\tvariant\t" + dataset.classes.map { "logit_\($0.name)" }.joined(separator: "\t")]
        var accuracies: [Double] = [], bestEpochs: [Int] = [], pooledLogits: [Float] = [], pooledLabels: [Int] = [], distances: [Double] = []
        var negatives = NegativeImageCV(), turnedFilms = TurnedFilmCV()
        for (f, heldOut) in folds.enumerated() {
            let rest = folds.enumerated().filter { $0.offset != f }.flatMap { $0.element }
            // Early stopping uses an inner patient-wise split of the training folds, never the held-out fold;
            // without it every training patient is used for the fixed epoch count.
            var trainSet = rest.map { samples[$0] }, innerVal: [PreparedSample] = []
            if trainer.config.patience > 0 {
                let inner = dataset.subset(rest).patientSplit(validationFraction: 0.15, seed: trainer.config.seed &+ UInt64(f))
                trainSet = inner.train.map { samples[rest[$0]] }
                innerVal = inner.validation.map { samples[rest[$0]] }
            }
            print("fold \(f + 1)/\(folds.count): train \(trainSet.count), early-stopping \(innerVal.count), held out \(heldOut.count) images")
            let (net, members, outcomes) = try trainer.trainModel(train: trainSet, validation: innerVal) { m, r in
                print("  " + Self.memberLabel(m, trainer.config) + r.line + "  (" + clock.epochFinished(seconds: r.seconds) + ")")
            }
            let outcome = outcomes[0]
            let ws = net.makeWorkspace(batch: min(32, max(heldOut.count, rest.count)))
            let heldGrays = heldOut.map { samples[$0].evaluationGray }
            let held = Trainer.logitsAndFeatures(net, grays: heldGrays, workspace: ws, options: trainer.config.inputOptions)
            let seen = Trainer.logitsAndFeatures(net, grays: rest.map { samples[$0].evaluationGray }, workspace: ws, options: trainer.config.inputOptions)
            let check = ContentCheck.fit(features: seen.features, dimension: ws.featureChannels)
            let own = check?.distances(features: held.features) ?? []
            distances += own
            // The negative-image rule on films the fold's model has never seen.
            negatives.add(fold: heldOut.map { samples[$0].image.path }, own: own, network: net, check: check, workspace: ws,
                          options: trainer.config.inputOptions, classes: k)
            turnedFilms.add(fold: heldGrays, own: own, network: net, check: check, workspace: ws, options: trainer.config.inputOptions, classes: k)
            let labels = heldOut.map { samples[$0].image.label }
            let metrics = ClassificationMetrics(probabilities: SoftmaxCrossEntropy.softmax(held.logits, classes: k), labels: labels, classes: k)
            print(String(format: "fold %d: held-out accuracy %.4f (%d images), best epoch %d", f + 1, metrics.accuracy, heldOut.count, outcome.bestEpoch))
            accuracies.append(metrics.accuracy)
            bestEpochs.append(outcome.bestEpoch)
            pooledLogits += held.logits
            pooledLabels += labels
            // The probe of this fold: fitted on its training folds (λ by cross-validation over them), scored on the held-out one.
            var heldProbe: [Float] = []
            if let probe {
                let d = probe.width
                let features = try probeFeatures(probe, network: net.members[0], samples: samples, options: trainer.config.inputOptions)
                let linear = probe.fit(features: features, labels: samples.map(\.image.label), classes: k, rows: rest, groups: sampleFold)
                heldProbe = linear.logits(features: heldOut.flatMap { features[($0 * d)..<($0 * d + d)] })
                pooledProbe += heldProbe
                foldLambdas.append(linear.lambda)
                let probeMetrics = ClassificationMetrics(probabilities: SoftmaxCrossEntropy.softmax(heldProbe, classes: k), labels: labels, classes: k)
                print(String(format: "fold %d: probe held-out accuracy %.4f (λ %g)", f + 1, probeMetrics.accuracy, linear.lambda))
            }
            if cvPredictions != nil {
                let size = trainer.config.inputSize
                // A soup's or an ensemble's members each as well (for a soup: to compare it with averaging their predictions).
                let memberHeld = members.count > 1 ? members.map { member in
                    Trainer.logitsAndFeatures(Ensemble(member), grays: heldGrays, workspace: Ensemble(member).makeWorkspace(batch: ws.batch),
                                              options: trainer.config.inputOptions, features: false).logits
                } : []
                for (row, i) in heldOut.enumerated() {
                    let sample = samples[i]
                    let variants = TestTimeVariants.grays(of: sample, size: size)
                    let tta = Trainer.logitsAndFeatures(net, grays: variants, workspace: ws, options: trainer.config.inputOptions, features: false).logits
                    let memberLogits = memberHeld.flatMap { $0[row * k..<(row + 1) * k] }
                    let names = ["input"] + TestTimeVariants.all.map(\.name) + (members.count > 1 ? members.indices.map { "member\($0 + 1)" } : [])
                        + (heldProbe.isEmpty ? [] : ["probe"])
                    let logits = Array(held.logits[row * k..<(row + 1) * k]) + tta + memberLogits
                        + (heldProbe.isEmpty ? [] : Array(heldProbe[row * k..<(row + 1) * k]))
                    for (v, name) in names.enumerated() {
                        let values = logits[v * k..<(v + 1) * k].map { String(format: "%.6f", $0) }
                        predictionLines.append([sample.image.path, sample.image.patientID, dataset.classes[sample.image.label].name,
                                                String(f + 1), name].joined(separator: "\t") + "\t" + values.joined(separator: "\t"))
                    }
                }
            }
        }
        if let cvPredictions {
            try (predictionLines.joined(separator: "\n") + "\n").write(toFile: cvPredictions, atomically: true, encoding: .utf8)
            print("wrote \(cvPredictions)")
        }
        // With a probe, everything below is of the mix of the networks' and the probe's calibrated log-probabilities.
        var probeSummary: ModelCard.ProbeSummary?
        let networkLogits = pooledLogits
        if probe != nil {
            let networkT = Calibration.fitTemperature(logits: networkLogits, labels: pooledLabels, classes: k)
            let probeT = Calibration.fitTemperature(logits: pooledProbe, labels: pooledLabels, classes: k)
            pooledLogits = FeatureProbe.mixedLogits(network: networkLogits, probe: pooledProbe, classes: k, share: probeShare,
                                                          networkTemperature: networkT, probeTemperature: probeT)
            let alone = Calibration.probabilities(logits: networkLogits, classes: k, temperature: networkT)
            let aloneCurve = RiskCoverage(probabilities: alone, labels: pooledLabels, views: dataset.classes)
            let aloneThresholds = aloneCurve.thresholdsPerClass(maximumRisk: targetRisk, floor: ModelCard.thresholdFloor)
            let alonePoint = RiskCoverage.point(probabilities: alone, labels: pooledLabels, views: dataset.classes, thresholds: aloneThresholds,
                                                frontalThreshold: aloneCurve.threshold(maximumRisk: targetRisk))
            probeSummary = ModelCard.ProbeSummary(
                sizes: probe!.sizes, share: probeShare, foldLambdas: foldLambdas, networkTemperature: networkT, probeTemperature: probeT,
                probeAlone: ClassificationMetrics(probabilities: Calibration.probabilities(logits: pooledProbe, classes: k, temperature: probeT),
                                                  labels: pooledLabels, classes: k),
                networksAlone: ClassificationMetrics(probabilities: alone, labels: pooledLabels, classes: k),
                networksAloneThresholds: aloneThresholds, networksAloneOperatingPoint: alonePoint)
            print(String(format: "probe: pooled accuracy %.4f (T %.3f); networks alone %.4f (T %.3f), at their own thresholds %d tagged, %d wrong",
                         probeSummary!.probeAlone.accuracy, probeT, probeSummary!.networksAlone.accuracy, networkT, alonePoint.tagged, alonePoint.wrong))
        }
        let temperature = Calibration.fitTemperature(logits: pooledLogits, labels: pooledLabels, classes: k)
        let uncalibrated = ClassificationMetrics(probabilities: SoftmaxCrossEntropy.softmax(pooledLogits, classes: k), labels: pooledLabels, classes: k)
        let calibrated = Calibration.probabilities(logits: pooledLogits, classes: k, temperature: temperature)
        let pooled = ClassificationMetrics(probabilities: calibrated, labels: pooledLabels, classes: k)
        let curve = RiskCoverage(probabilities: calibrated, labels: pooledLabels, views: dataset.classes)
        let threshold = curve.threshold(maximumRisk: targetRisk)
        let classThresholds = curve.thresholdsPerClass(maximumRisk: targetRisk, floor: ModelCard.thresholdFloor)
        let operating = RiskCoverage.point(probabilities: calibrated, labels: pooledLabels, views: dataset.classes,
                                           thresholds: classThresholds, frontalThreshold: threshold)
        print(String(format: "cross-validation: mean fold accuracy %.4f, pooled accuracy %.4f, balanced %.4f; temperature %.3f (ECE %.4f → %.4f)",
                     accuracies.reduce(0, +) / Double(accuracies.count), pooled.accuracy, pooled.balancedAccuracy, temperature,
                     uncalibrated.expectedCalibrationError, pooled.expectedCalibrationError))
        if let p = curve.point(at: threshold) {
            print(String(format: "one threshold %.3f: %d of %d films tagged, %d wrong (%.2f %%)", threshold, p.tagged, curve.films, p.wrong, 100 * p.risk))
        }
        print("per-class thresholds \(zip(dataset.classes, classThresholds).map { "\($0.name) \(String(format: "%.3f", $1))" }.joined(separator: ", ")): "
              + "\(operating.tagged) of \(curve.films) films tagged, \(operating.wrong) wrong (\(String(format: "%.2f", 100 * operating.risk)) %); "
              + operating.perClass.map { "\($0.name) \($0.tagged)/\($0.films)" }.joined(separator: ", "))
        // Negatives and turned films go through the networks alone (the probe is not run on them); with a probe their
        // calibrated log-probabilities stand for the mix, as the product weighs a negative.
        let asDecided: ([Float]) -> [Float] = { logits in
            probeSummary.map { FeatureProbe.calibratedLogProbabilities(logits, classes: k, temperature: $0.networkTemperature) } ?? logits
        }
        if let line = negatives.summary(calibrated: calibrated, labels: pooledLabels, classes: k, temperature: temperature, asDecided: asDecided,
                                        thresholds: classThresholds) {
            print(line)
        }
        if let line = turnedFilms.summary(calibrated: calibrated, labels: pooledLabels, classes: k, temperature: temperature, asDecided: asDecided,
                                          thresholds: classThresholds, limit: contentLimit(distances)) {
            print(line)
        }
        let cv = ModelCard.CrossValidation(folds: folds.count, foldAccuracies: accuracies, foldBestEpochs: bestEpochs,
                                           meanAccuracy: accuracies.reduce(0, +) / Double(accuracies.count), pooled: pooled,
                                           uncalibrated: uncalibrated, temperature: temperature, threshold: threshold,
                                           classThresholds: classThresholds, operatingPoint: operating, targetRisk: targetRisk, riskCoverage: curve)
        var withProbe = cv
        withProbe.probe = probeSummary
        return (withProbe, distances)
    }
}

extension TrainingConfig.OptimizerKind: ExpressibleByArgument {}

extension NetworkInputOptions.Tone: ExpressibleByArgument {}
