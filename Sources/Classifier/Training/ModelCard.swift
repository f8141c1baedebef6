import TensorEngine
import Foundation
import Preprocess

/// What a trained model is and how it came to be; written beside the weights as JSON and Markdown.
public struct ModelCard: Sendable, Codable {
    /// No class threshold is chosen below this, however clean the held-out films look.
    public static let thresholdFloor = 0.8

    public struct DataSummary: Sendable, Codable {
        public var source: String
        public var digest: String
        public var images: Int
        public var patients: Int
        public var classCounts: [String: Int]
        public var failed: [String]
        /// Rows left out by reason (PadChest projections other than PA, AP, AP_horizontal and L).
        public var skipped: [String: Int]?

        public init(source: String, digest: String, images: Int, patients: Int, classCounts: [String: Int], failed: [String],
                    skipped: [String: Int]? = nil) {
            self.source = source; self.digest = digest; self.images = images; self.patients = patients
            self.classCounts = classCounts; self.failed = failed; self.skipped = skipped
        }
    }

    public struct CrossValidation: Sendable, Codable {
        public var folds: Int
        public var foldAccuracies: [Double]
        public var foldBestEpochs: [Int]
        public var meanAccuracy: Double
        /// Pooled held-out metrics of the calibrated probabilities.
        public var pooled: ClassificationMetrics
        public var uncalibrated: ClassificationMetrics?
        public var temperature: Double?
        public var threshold: Double?
        /// Per class, the shipped thresholds, and the held-out outcome at them.
        public var classThresholds: [Double]?
        public var operatingPoint: RiskCoverage.Point?
        public var targetRisk: Double?
        public var riskCoverage: RiskCoverage?
        /// The feature probe mixed into the decision, when trained with one (the numbers above are of the mix).
        public var probe: ProbeSummary?

        public init(folds: Int, foldAccuracies: [Double], foldBestEpochs: [Int], meanAccuracy: Double, pooled: ClassificationMetrics,
                    uncalibrated: ClassificationMetrics?, temperature: Double?, threshold: Double?, classThresholds: [Double]?,
                    operatingPoint: RiskCoverage.Point?, targetRisk: Double?, riskCoverage: RiskCoverage?) {
            self.classThresholds = classThresholds; self.operatingPoint = operatingPoint
            self.folds = folds; self.foldAccuracies = foldAccuracies; self.foldBestEpochs = foldBestEpochs
            self.meanAccuracy = meanAccuracy; self.pooled = pooled; self.uncalibrated = uncalibrated
            self.temperature = temperature; self.threshold = threshold; self.targetRisk = targetRisk; self.riskCoverage = riskCoverage
        }
    }

    /// How the feature probe was fitted in cross-validation, and what the networks alone gave on the same folds.
    public struct ProbeSummary: Sendable, Codable {
        public var sizes: [Int]
        public var share: Double
        /// λ chosen in each fold (by cross-validation over that fold's training folds), and for the shipped probe.
        public var foldLambdas: [Double]
        public var finalLambda: Double?
        public var networkTemperature: Double
        public var probeTemperature: Double
        /// The probe alone, pooled over the held-out films (calibrated).
        public var probeAlone: ClassificationMetrics
        /// The networks alone, pooled and calibrated, and at their own per-class thresholds chosen by the same rule.
        public var networksAlone: ClassificationMetrics
        public var networksAloneThresholds: [Double]
        public var networksAloneOperatingPoint: RiskCoverage.Point

        public init(sizes: [Int], share: Double, foldLambdas: [Double], networkTemperature: Double, probeTemperature: Double,
                    probeAlone: ClassificationMetrics, networksAlone: ClassificationMetrics, networksAloneThresholds: [Double],
                    networksAloneOperatingPoint: RiskCoverage.Point) {
            self.sizes = sizes; self.share = share; self.foldLambdas = foldLambdas; self.networkTemperature = networkTemperature
            self.probeTemperature = probeTemperature; self.probeAlone = probeAlone; self.networksAlone = networksAlone
            self.networksAloneThresholds = networksAloneThresholds; self.networksAloneOperatingPoint = networksAloneOperatingPoint
        }
    }

    public struct ContentCheckSummary: Sendable, Codable {
        public var limit: Double
        public var quantile: Double
        public var margin: Double
        public var basis: String
        public var basisMedian: Double
        public var basisMaximum: Double

        public init(limit: Double, quantile: Double, margin: Double, basis: String, basisMedian: Double, basisMaximum: Double) {
            self.limit = limit; self.quantile = quantile; self.margin = margin; self.basis = basis
            self.basisMedian = basisMedian; self.basisMaximum = basisMaximum
        }
    }

    public var name: String
    public var created: String
    public var codeVersion: String
    public var architecture = "SqueezeNet 1.1 (torchvision layout)"
    public var classes: [String]
    public var inputSize: Int
    public var fit: String
    public var normalization = "gray repeated to RGB; ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)"
    public var weightsFile: String
    public var weightsSHA256: String
    public var initialWeights: String?
    public var initialWeightsSHA256: String?
    public var data: DataSummary
    public var split: String
    public var config: TrainingConfig
    public var epochsTrained: Int
    public var bestEpoch: Int
    public var validation: ClassificationMetrics?
    public var crossValidation: CrossValidation?
    public var history: [EpochReport]
    public var temperature: Double
    public var threshold: Double
    public var contentCheck: ContentCheckSummary?

    public init(name: String, created: String, codeVersion: String, inputSize: Int, fit: String, weightsFile: String,
                weightsSHA256: String, initialWeights: String?, initialWeightsSHA256: String?, data: DataSummary, split: String,
                config: TrainingConfig, epochsTrained: Int, bestEpoch: Int, validation: ClassificationMetrics?,
                crossValidation: CrossValidation?, history: [EpochReport], temperature: Double, threshold: Double,
                contentCheck: ContentCheckSummary?) {
        self.name = name; self.created = created; self.codeVersion = codeVersion; self.inputSize = inputSize; self.fit = fit
        self.weightsFile = weightsFile; self.weightsSHA256 = weightsSHA256; self.initialWeights = initialWeights
        self.initialWeightsSHA256 = initialWeightsSHA256; self.data = data; self.split = split; self.config = config
        self.epochsTrained = epochsTrained; self.bestEpoch = bestEpoch; self.validation = validation
        self.crossValidation = crossValidation; self.history = history
        self.classes = config.classes.map(\.name); self.temperature = temperature; self.threshold = threshold
        self.contentCheck = contentCheck
    }

    public func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> ModelCard {
        try JSONDecoder().decode(ModelCard.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public var markdown: String {
        func pct(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
        var md = """
            # Model card: \(name)

            - Architecture: \(architecture); input \(inputSize)×\(inputSize), fit `\(fit)`; \(NetworkInputOptions.Tone(rawValue: config.tone ?? "")?.cardText ?? "")\(normalization).
            - Classes (output order): \(classes.joined(separator: ", ")).
            - Weights: `\(weightsFile)`, SHA-256 `\(weightsSHA256)`.
            - Initialised from: \(initialWeights.map { "`\(($0 as NSString).lastPathComponent)` (SHA-256 `\(initialWeightsSHA256 ?? "?")`)" } ?? "He initialisation (from scratch)").
            - Trained: \(created) by cxr-explain \(codeVersion), \(epochsTrained) epochs (weights of epoch \(bestEpoch) kept).
            - Data: `\(data.source)` — \(data.images) images from \(data.patients) patients (\(data.classCounts.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); manifest digest `\(data.digest)`.
            - Split: \(split).
            - Hyper-parameters: \(config.optimizer.rawValue), lr \(config.learningRate)\(config.backboneLearningRateScale.map { " (pretrained layers × \($0))" } ?? ""), weight decay \(config.weightDecay), batch \(config.batchSize), cosine schedule with \(config.warmupEpochs) warm-up epoch(s), patience \(config.patience), weights averaged over the last \(config.averagedEpochs) epoch(s), class-weighted loss \(config.classWeighting)\(config.labelSmoothing.map { ", label smoothing \($0)" } ?? ""), seed \(config.seed)\(config.soupMembers.map { "; the weights of \($0) runs averaged (one head initialisation from seed \(config.seed), runs seeded \(config.seed) … \(config.seed &+ UInt64($0 - 1)) for order, augmentation and dropout)" } ?? "")\(config.ensembleMembers.map { "; an ensemble of \($0) networks seeded \(config.seed) … \(config.seed &+ UInt64($0 - 1)) (each its own head initialisation, order, augmentation and dropout), their logits averaged" } ?? ""); augmentation: crop \(config.augmentation.cropFraction), rotation ±\(config.augmentation.rotationDegrees)°, flip p \(config.augmentation.flipProbability), brightness ±\(config.augmentation.brightness), contrast \(config.augmentation.contrast), gamma \(config.augmentation.gamma).
            - Reproducible: the same data, settings and seed give the same weights on a CPU of the same instruction set, whatever the thread count (each image's forward pass runs on one thread, every GEMM whole on one thread); AVX2 and AVX-512 machines may differ in the last bits.

            """
        if let cv = crossValidation {
            let names = classes
            md += """

                ## Patient-wise \(cv.folds)-fold cross-validation

                Each fold's patients are held out entirely; the model of each fold never saw them.

                | fold | accuracy | best epoch |
                |---|---|---|
                \(cv.foldAccuracies.enumerated().map { "| \($0.offset + 1) | \(pct($0.element)) | \(cv.foldBestEpochs[$0.offset]) |" }.joined(separator: "\n"))

                Pooled over all \(cv.pooled.count) held-out images: accuracy \(pct(cv.pooled.accuracy)), balanced accuracy \(pct(cv.pooled.balancedAccuracy)), ROC AUC (one class against the rest, averaged) \(cv.pooled.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a").

                | true \\ predicted | \(names.joined(separator: " | ")) | recall |
                |---|\(names.map { _ in "---:|" }.joined())---:|
                \(cv.pooled.confusion.enumerated().map { "| \(names[$0.offset]) | \($0.element.map(String.init).joined(separator: " | ")) | \(pct(cv.pooled.recall[$0.offset])) |" }.joined(separator: "\n"))

                """
            if let probe = cv.probe {
                let alone = probe.networksAloneOperatingPoint
                md += """

                    ### Feature probe

                    The decision mixes the networks with a linear probe on the first network's own features at higher resolution than it was trained at (its conv1 … fire9 unchanged): fire6 and fire9 mean- and max-pooled at inputs of \(probe.sizes.map { "\($0)" }.joined(separator: " and ")) pixels, a balanced, L2-penalised logistic regression (in each fold on that fold's first network, λ by cross-validation on its training folds: \(probe.foldLambdas.map { String(format: "%g", $0) }.joined(separator: ", ")); shipped \(probe.finalLambda.map { String(format: "%g", $0) } ?? "-")). Log-probabilities: \(String(format: "%.2f", 1 - probe.share)) × the networks' (T = \(String(format: "%.3f", probe.networkTemperature))) + \(String(format: "%.2f", probe.share)) × the probe's (T = \(String(format: "%.3f", probe.probeTemperature))); the temperature and thresholds below are of that mix. Grad-CAM and LIME explain the networks' part.

                    Pooled held-out accuracy: probe alone \(pct(probe.probeAlone.accuracy)), networks alone \(pct(probe.networksAlone.accuracy)). The networks alone at their own per-class thresholds (\(zip(names, probe.networksAloneThresholds).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: ", "))): \(alone.tagged) films tagged, \(alone.wrong) wrong (\(alone.perClass.map { "\($0.name) \($0.tagged)/\($0.films)" }.joined(separator: ", "))).

                    """
            }
            if let t = cv.temperature, let u = cv.uncalibrated {
                md += """

                    ### Calibration

                    Temperature scaling fitted on the pooled held-out logits: T = \(String(format: "%.3f", t)). Expected calibration error (10 bins) \(String(format: "%.4f", u.expectedCalibrationError)) → \(String(format: "%.4f", cv.pooled.expectedCalibrationError)); mean NLL \(String(format: "%.4f", u.meanLoss)) → \(String(format: "%.4f", cv.pooled.meanLoss)).

                    """
            }
            if let curve = cv.riskCoverage, let threshold = cv.threshold {
                let shown = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, threshold].sorted()
                let rows = Set(shown).sorted().compactMap { curve.point(at: $0) }.map { p -> String in
                    let perClass = p.perClass.map { "\($0.tagged)/\($0.films) (\($0.wrong) wrong)" }.joined(separator: " | ")
                    let mark = abs(p.threshold - threshold) < 1e-9 ? " **shipped**" : ""
                    return "| \(String(format: "%.3f", p.threshold))\(mark) | \(p.tagged)/\(curve.films) (\(pct(Double(p.tagged) / Double(max(1, curve.films))))) | \(p.wrong) (\(pct(p.risk))) | \(perClass) | \(p.frontalUncertain) |"
                }
                md += """

                    ### Risk and coverage (wrong views written against films tagged)

                    A view is written when its calibrated probability reaches the threshold. Shipped threshold \(String(format: "%.3f", threshold)): the lowest from which on the held-out wrong-view rate stays at or under \(pct(cv.targetRisk ?? 0)).

                    | threshold | films tagged | wrong views | \(names.map { "\($0): tagged/films" }.joined(separator: " | ")) | frontal, AP/PA uncertain |
                    |---|---|---|\(names.map { _ in "---|" }.joined())---|
                    \(rows.joined(separator: "\n"))

                    """
            }
            if let t = cv.classThresholds, let p = cv.operatingPoint {
                md += """

                    ### Shipped thresholds, per predicted class

                    Each class gets the lowest threshold (at least \(String(format: "%.2f", Self.thresholdFloor))) at which the views of that class written in cross-validation (all those at or above it) are wrong at most \(pct(cv.targetRisk ?? 0)) of the time: \(zip(names, t).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: ", ")); "frontal, AP/PA uncertain" needs p(PA) + p(AP) ≥ \(String(format: "%.3f", cv.threshold ?? 0)).

                    At these thresholds, on the \(p.perClass.reduce(0) { $0 + $1.films }) held-out films: **\(p.tagged) tagged (\(pct(Double(p.tagged) / Double(max(1, p.perClass.reduce(0) { $0 + $1.films }))))), \(p.wrong) wrong views (\(pct(p.risk)) of those tagged)**, \(p.frontalUncertain) "frontal, AP/PA uncertain".

                    | true class | films | tagged | wrong | coverage |
                    |---|---:|---:|---:|---:|
                    \(p.perClass.map { "| \($0.name) | \($0.films) | \($0.tagged) | \($0.wrong) | \(pct(Double($0.tagged) / Double(max(1, $0.films)))) |" }.joined(separator: "\n"))

                    """
            }
        }
        if let c = contentCheck {
            md += """

                ## Content check

                Mahalanobis distance of the pooled fire9 features (square-rooted) from the training films, Ledoit–Wolf shrunk covariance. Limit \(String(format: "%.2f", c.limit)) = the \(String(format: "%.3f", c.quantile)) quantile of the \(c.basis)' distances × \(String(format: "%.2f", c.margin)) (their median \(String(format: "%.2f", c.basisMedian)), maximum \(String(format: "%.2f", c.basisMaximum))). Only images whose header does not say "CR or DX of the chest" are refused by it.

                """
        }
        if let v = validation {
            md += """

                ## Validation (early-stopping split)

                Accuracy \(pct(v.accuracy)), balanced accuracy \(pct(v.balancedAccuracy)), loss \(String(format: "%.4f", v.meanLoss)), confusion \(v.confusion).

                """
        }
        // Per-class thresholds, when cross-validation chose them, are what classify and process apply.
        let thresholds = crossValidation?.classThresholds.map { t in
            "its class's threshold (" + zip(classes, t).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: ", ")
        } ?? "the threshold (\(String(format: "%.3f", threshold))"
        md += """

            ## Intended use and limits

            Tells the view of chest radiographs (\(classes.joined(separator: ", "))) to fill or check DICOM ViewPosition. Not a
            diagnostic device. A view is written only when its calibrated probability reaches
            \(thresholds) unless `--threshold` says otherwise); a surely frontal film whose AP/PA
            probability falls short is reported as "frontal, AP/PA uncertain" and nothing is written.
            The development data are journal figures and web images of COVID-19 patients (Cohen et al.);
            check the model on your own hospital's films before relying on it.
            """
        return md
    }
}
