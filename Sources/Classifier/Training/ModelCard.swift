import Foundation
import Preprocess

/// What a trained model is and how it came to be; written beside the weights as JSON and Markdown.
public struct ModelCard: Sendable, Codable {
    public struct DataSummary: Sendable, Codable {
        public var source: String
        public var digest: String
        public var images: Int
        public var patients: Int
        public var classCounts: [String: Int]
        public var failed: [String]

        public init(source: String, digest: String, images: Int, patients: Int, classCounts: [String: Int], failed: [String]) {
            self.source = source; self.digest = digest; self.images = images; self.patients = patients
            self.classCounts = classCounts; self.failed = failed
        }
    }

    public struct CrossValidation: Sendable, Codable {
        public var folds: Int
        public var foldAccuracies: [Double]
        public var foldBestEpochs: [Int]
        public var meanAccuracy: Double
        public var pooled: ClassificationMetrics

        public init(folds: Int, foldAccuracies: [Double], foldBestEpochs: [Int], meanAccuracy: Double, pooled: ClassificationMetrics) {
            self.folds = folds; self.foldAccuracies = foldAccuracies; self.foldBestEpochs = foldBestEpochs
            self.meanAccuracy = meanAccuracy; self.pooled = pooled
        }
    }

    public var name: String
    public var created: String
    public var codeVersion: String
    public var architecture = "SqueezeNet 1.1 (torchvision layout), 2-class head"
    public var classes = ViewClass.allCases.map(\.name)
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

    public init(name: String, created: String, codeVersion: String, inputSize: Int, fit: String, weightsFile: String,
                weightsSHA256: String, initialWeights: String?, initialWeightsSHA256: String?, data: DataSummary, split: String,
                config: TrainingConfig, epochsTrained: Int, bestEpoch: Int, validation: ClassificationMetrics?,
                crossValidation: CrossValidation?, history: [EpochReport]) {
        self.name = name; self.created = created; self.codeVersion = codeVersion; self.inputSize = inputSize; self.fit = fit
        self.weightsFile = weightsFile; self.weightsSHA256 = weightsSHA256; self.initialWeights = initialWeights
        self.initialWeightsSHA256 = initialWeightsSHA256; self.data = data; self.split = split; self.config = config
        self.epochsTrained = epochsTrained; self.bestEpoch = bestEpoch; self.validation = validation
        self.crossValidation = crossValidation; self.history = history
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

            - Architecture: \(architecture); input \(inputSize)×\(inputSize), fit `\(fit)`; \(normalization).
            - Classes (output order): \(classes.joined(separator: ", ")).
            - Weights: `\(weightsFile)`, SHA-256 `\(weightsSHA256)`.
            - Initialised from: \(initialWeights.map { "`\(($0 as NSString).lastPathComponent)` (SHA-256 `\(initialWeightsSHA256 ?? "?")`)" } ?? "He initialisation (from scratch)").
            - Trained: \(created) by cxr-explain \(codeVersion), \(epochsTrained) epochs (weights of epoch \(bestEpoch) kept).
            - Data: `\(data.source)` — \(data.images) images from \(data.patients) patients (\(data.classCounts.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); manifest digest `\(data.digest)`.
            - Split: \(split).
            - Hyper-parameters: \(config.optimizer.rawValue), lr \(config.learningRate), weight decay \(config.weightDecay), batch \(config.batchSize), cosine schedule with \(config.warmupEpochs) warm-up epoch(s), patience \(config.patience), class-weighted loss \(config.classWeighting), seed \(config.seed); augmentation: crop \(config.augmentation.cropFraction), rotation ±\(config.augmentation.rotationDegrees)°, flip p \(config.augmentation.flipProbability), brightness ±\(config.augmentation.brightness), contrast \(config.augmentation.contrast), gamma \(config.augmentation.gamma).

            """
        if let cv = crossValidation {
            md += """

                ## Patient-wise \(cv.folds)-fold cross-validation

                Each fold's patients are held out entirely; the model of each fold never saw them.

                | fold | accuracy | best epoch |
                |---|---|---|
                \(cv.foldAccuracies.enumerated().map { "| \($0.offset + 1) | \(pct($0.element)) | \(cv.foldBestEpochs[$0.offset]) |" }.joined(separator: "\n"))

                Pooled over all held-out images: accuracy \(pct(cv.pooled.accuracy)), balanced accuracy \(pct(cv.pooled.balancedAccuracy)), ROC AUC \(cv.pooled.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a"), ECE \(String(format: "%.4f", cv.pooled.expectedCalibrationError)); confusion (rows true PA, L; columns predicted): \(cv.pooled.confusion).

                """
        }
        if let v = validation {
            md += """

                ## Validation (early-stopping split)

                Accuracy \(pct(v.accuracy)), balanced accuracy \(pct(v.balancedAccuracy)), loss \(String(format: "%.4f", v.meanLoss)), confusion \(v.confusion).

                """
        }
        md += """

            ## Intended use and limits

            Tells PA from lateral chest radiographs to fill or check DICOM ViewPosition. Not a diagnostic device.
            AP films are not a class: they will be called PA or lateral. Predictions under the confidence
            threshold (default 0.9) are reported as uncertain and never written into a header.
            The development data are journal figures and web images of COVID-19 patients (Cohen et al.);
            check the model on your own hospital's films before relying on it.
            """
        return md
    }
}

/// A model file with its metadata: what `classify`, `explain` and `process` load.
public struct ModelFile: Sendable {
    public var path: String
    public var network: SqueezeNet
    public var options: NetworkInputOptions
    public var sha256: String
    public var name: String

    public init(path: String) throws {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let size = Int(metadata["input_size"] ?? "") ?? 227
        let fit = NetworkInputOptions.Fit(rawValue: metadata["fit"] ?? "") ?? .pad
        network = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 2, inputSize: size))
        try network.load(tensors, file: path)
        options = NetworkInputOptions(size: size, fit: fit)
        sha256 = try Digest.sha256Hex(ofFileAt: path)
        name = metadata["name"] ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        self.path = path
    }

    public static func metadata(name: String, config: TrainingConfig) -> [String: String] {
        ["format": "cxr-explain", "name": name, "classes": ViewClass.allCases.map(\.name).joined(separator: ","),
         "input_size": String(config.inputSize), "fit": config.fit, "architecture": "squeezenet1_1"]
    }
}
