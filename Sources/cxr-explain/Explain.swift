import ArgumentParser
import Classifier
import TensorEngine
import DICOMOutput
import Explain
import Foundation
import Pipeline
import Preprocess

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain one image's view prediction: overlay PNG and raw map (.npy) per method.",
        discussion: """
            The target is the class logit by default: a softmax target saturates in float32 for confident \
            images and gives an all-zero map (--target softmax offers it anyway). Maps are at the network \
            input's resolution (227×227, the padded square), in [0, 1]. The image's decision is shown as \
            classify gives it, and every map explains the decision's most likely class; one that classify and \
            process would skip (not a chest radiograph) is explained all the same (each method its own most \
            likely class), but --dicom writes nothing into its study. Grad-CAM, LIME and occlusion explain the \
            networks; with a model that has a feature probe, method probe maps the probe's part of the decision.
            """)

    @Argument(help: "A DICOM, PNG or JPEG image.")
    var image: String

    // --methods as in process and listen; --method, the older spelling, still works.
    @Option(name: [.customLong("methods"), .customLong("method")], parsing: .upToNextOption,
            help: "Methods: \(ExplanationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: [ExplanationMethod] = [.gradcam]

    @OptionGroup var explanation: ExplanationOptions
    @Option(help: "Occlusion: mask side in input pixels.") var maskSize = 45
    @Option(help: "Occlusion: mask stride in input pixels.") var stride = 15
    @Option(help: "Occlusion: gray value [0, 1] of the mask (default: the image's mean).") var maskValue: Float?

    @Option(help: "Target: logit (default) or softmax.")
    var target: CAMTarget = .logit

    @Option(help: "Explain this class (one of the model's: PA, AP, L for the shipped one) instead of the decision's most likely one.")
    var targetClass: String?

    @Option(name: .shortAndLong, help: "Output folder.")
    var out: String

    @Flag(help: "Also write the exact network input as .npy (float32, 3×H×W).")
    var saveInput = false

    @Flag(help: "Also write DICOM Secondary Captures per method: grayscale with the top-20 % region in overlay 6000 (LIME's top superpixels in 6002) and the RGB blend, in the source's study. A PNG or JPEG input is converted to DICOM first (written beside them).")
    var dicom = false

    @Flag(help: "Print a JSON summary.")
    var json = false

    @Flag(help: "Score each map: deletion and insertion AUC (RISE), next to a random map.")
    var metrics = false

    @Option(help: "Threads for LIME's, occlusion's and the metrics' forward passes (default: all cores). The maps do not depend on it.")
    var threads: Int?

    @OptionGroup var decision: DecisionOptions
    @OptionGroup var modelOption: ModelOption
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        global.apply()
        if let threads { Parallel.setThreads(threads) }
        let model = try modelOption.load()
        try checkMethods(method, model: model)
        let radiograph: Radiograph, input: NetworkInput
        let prediction: ViewPrediction?
        let notAChestFilm: String?
        do throws(ImageReadError) {
            (radiograph, input, prediction, notAChestFilm) = try decide(model: model)
        } catch { printError(error.description); throw ExitCode(1) }
        // An explanation object in a study says which view it explains: never for an image that is no chest film.
        if dicom, let notAChestFilm {
            printError("\(image): no DICOM explanation written: \(notAChestFilm)")
            throw ExitCode(1)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
        let size = model.options.size
        let started = Date()
        var wanted: Int?
        if let targetClass {
            guard let index = model.classIndex(named: targetClass) else {
                printError("--target-class must be one of the model's classes: \(model.views.map(\.name).joined(separator: ", "))")
                throw ExitCode(2)
            }
            wanted = index
        } else if let mostLikely = prediction?.decision.mostLikely {
            // Every map explains the decision's most likely class (the networks' and the probe's alike).
            wanted = model.views.firstIndex(of: mostLikely)
        }
        var suite = ExplanationSuite()
        suite.layer = explanation.layer
        suite.target = target
        suite.lime = explanation.lime
        suite.occlusion = OcclusionSensitivity(maskSize: maskSize, stride: stride, maskValue: maskValue)
        let explanations: [ExplanationMethod: Explanation]
        do {
            explanations = try suite.explain(network: model.network, input: input, options: model.options, methods: method, targetClass: wanted,
                                             probe: model.probe, radiograph: radiograph)
        }
        catch { printError("\(image): \(error)"); throw ExitCode(1) }
        let maps = explanations.mapValues(\.map)
        // The decision may mix in the feature probe (`ModelFile.decisionSummary`); the networks' own probabilities
        // are what Grad-CAM, LIME and occlusion explain.
        let networkProbabilities = Self.networkProbabilities(model: model, input: input)
        let seconds = Date().timeIntervalSince(started)
        var written: [String] = []
        for m in method {
            let map = maps[m]!
            let name = m.fileName
            let png = (out as NSString).appendingPathComponent("\(stem).\(name).png")
            let npy = (out as NSString).appendingPathComponent("\(stem).\(name).npy")
            try RasterImage.writePNG(Overlay.blend(gray: input.gray, map: map.values, colormap: explanation.colormap), width: size, height: size, channels: 3, to: png)
            try NPY.write(explanations[m]!.raw, shape: [size, size], to: npy)
            written += [png, npy]
        }
        if dicom {
            let probabilityOf: (Int) -> Double = { c in
                prediction?.decision.probabilities[model.views[c].name] ?? networkProbabilities[c]
            }
            do {
                written += try writeDICOM(radiograph: radiograph, input: input, explanations: explanations, suite: suite, model: model, stem: stem,
                                          probabilityOf: probabilityOf)
            }
            catch { printError("\(image): \(error)"); throw ExitCode(1) }
        }
        if saveInput {
            let path = (out as NSString).appendingPathComponent("\(stem).input.npy")
            try NPY.write(input.values, shape: [3, size, size], to: path)
            written.append(path)
        }
        var scores: [String: DeletionInsertion.Result] = [:]
        if metrics {
            let scorer = DeletionInsertion()
            let c = maps[method[0]]!.targetClass
            for m in method where m != .probe { scores[m.rawValue] = scorer.evaluate(network: model.network, gray: input.gray, options: model.options, map: maps[m]!.values, targetClass: c) }
            // The probe's map is scored through the probe, against a random map scored the same way.
            if let map = maps[.probe]?.values, let probe = model.probe {
                scores.merge(scorer.probeScores(probe: probe, radiograph: radiograph, options: model.options, map: map, randomSeed: explanation.seed,
                                                targetClass: c)) { a, _ in a }
            }
            scores["random"] = scorer.evaluate(network: model.network, gray: input.gray, options: model.options,
                                               map: DeletionInsertion.randomMap(count: size * size, seed: explanation.seed), targetClass: c)
        }
        let first = maps[method[0]]!
        let predictedIndex = prediction?.decision.mostLikely.flatMap { model.views.firstIndex(of: $0) }
            ?? networkProbabilities.indices.max { networkProbabilities[$0] < networkProbabilities[$1] }!
        let predicted = model.views[predictedIndex].name
        let networkProbability = networkProbabilities[predictedIndex]
        let probability = prediction?.decision.probabilities[predicted] ?? networkProbability
        if json {
            struct Summary: Encodable {
                var file: String; var predicted: String; var probability: Double; var networkProbability: Double; var probeProbability: Double?
                var targetClass: String
                var decision: String; var decisionReason: String?
                var methods: [String]; var layer: String; var target: String; var colormap: String
                var model: String; var modelSHA256: String; var seconds: Double; var outputs: [String]
                var metrics: [String: DeletionInsertion.Result]?
            }
            let s = Summary(file: image, predicted: predicted, probability: probability, networkProbability: networkProbability,
                            probeProbability: prediction?.decision.parts?.probe[predicted], targetClass: model.views[first.targetClass].name,
                            decision: prediction?.decision.outcome.rawValue ?? ViewDecision.Outcome.skipped.rawValue,
                            decisionReason: notAChestFilm ?? prediction?.decision.reason, methods: method.map(\.rawValue),
                            layer: explanation.layer.rawValue, target: target.rawValue, colormap: explanation.colormap.rawValue, model: model.name,
                            modelSHA256: model.sha256, seconds: seconds, outputs: written, metrics: metrics ? scores : nil)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(s), as: UTF8.self))
        } else {
            let probeAlone = prediction?.decision.parts?.probe[predicted].map { String(format: ", probe alone %.4f", $0) } ?? ""
            let networks = model.probe == nil ? "" : String(format: ", networks alone %.4f", networkProbability) + probeAlone
            print(String(format: "%@: %@ (p = %.4f%@); %@ in %.1f ms", image, predicted, probability, networks,
                         method.map(\.rawValue).joined(separator: ", "), seconds * 1000))
            if let notAChestFilm {
                print("  skipped by classify and process: \(notAChestFilm); the map shows the network's most likely class all the same")
            } else if let prediction {
                print("  decision: \(prediction.decision.label)\((prediction.decision.reason ?? prediction.decision.basis).map { " (\($0))" } ?? "")")
            }
            for w in written { print("  wrote \(w)") }
            for (name, r) in scores.sorted(by: { $0.key < $1.key }) {
                print(String(format: "  %@  deletion AUC %.4f  insertion AUC %.4f", name.padding(toLength: 12, withPad: " ", startingAt: 0), r.deletionAUC, r.insertionAUC))
            }
        }
    }
}

extension ExplainCommand {
    /// The SC pair per method; the source is the input itself, or its conversion for PNG/JPEG.
    /// The image, its network input and its decision as `classify` makes it; an image the header gate or the
    /// content check refuses is still loaded (to explain), with the reason it is not a chest film.
    func decide(model: ModelFile) throws(ImageReadError)
        -> (radiograph: Radiograph, input: NetworkInput, prediction: ViewPrediction?, notAChestFilm: String?) {
        switch try GatedInput.read(path: image, gate: decision.gate) {
        case .skipped(let reason, _):
            let radiograph = try RadiographLoader.load(path: image)
            return (radiograph, NetworkInput(radiograph: radiograph, options: model.options), nil, reason)
        case .radiograph(let radiograph, _, let verdict):
            let classifier = ViewClassifier(model: model, threshold: decision.threshold, gate: decision.gate, readsMarkers: decision.readMarkers)
            let input = NetworkInput(radiograph: radiograph, options: model.options)
            let prediction = classifier.decide(file: image, radiograph: radiograph, input: input, headerConfirmsChest: verdict == .chest)
            return (radiograph, input, prediction, prediction.decision.outcome == .notChest ? prediction.decision.reason : nil)
        }
    }

    /// The networks' calibrated probabilities for the input (the networks' part of the decision, without the probe).
    static func networkProbabilities(model: ModelFile, input: NetworkInput) -> [Double] {
        let logits = input.values.withUnsafeBufferPointer { model.network.forward(model.network.makeWorkspace(batch: 1), input: $0.baseAddress!) }
        return Calibration.probabilities(logits: logits, classes: model.network.classes, temperature: model.networkTemperature).map(Double.init)
    }

    func writeDICOM(radiograph: Radiograph, input: NetworkInput, explanations: [ExplanationMethod: Explanation],
                    suite: ExplanationSuite, model: ModelFile, stem: String, probabilityOf: (Int) -> Double) throws -> [String] {
        var written: [String] = []
        let source: DICOMFile
        if radiograph.source.format == .dicom {
            source = try DICOMFile(path: image)
        } else {
            source = try RasterConversion.makeSecondaryCapture(path: image)
            let path = (out as NSString).appendingPathComponent("\(stem).dcm")
            try source.save(to: path, keepTransferSyntax: false)
            written.append(path)
        }
        var capture = ExplanationCapture()
        capture.colormap = explanation.colormap
        // The objects' UIDs name the input's bytes and everything that shapes them (the method's parameters are
        // in each object's kind).
        let inputSHA256 = try Digest.sha256Hex(ofFileAt: image)
        let settings = "explain|model=\(model.sha256)|colormap=\(explanation.colormap.rawValue)|version=\(Software.version)"
        let settingsDigest = Digest.hex(Digest.sha256(Array(settings.utf8)))
        for m in method {
            let e = explanations[m]!
            let context = ExplanationCapture.Context(
                predictedView: model.views[e.map.targetClass].name, probability: probabilityOf(e.map.targetClass),
                modelName: model.name, modelSHA256: model.sha256, parameters: suite.summary(m),
                inputSHA256: inputSHA256, settingsDigest: settingsDigest)
            let objects = try capture.build(source: source, radiograph: radiograph, geometry: input.geometry, explanation: e, context: context)
            for (kind, file) in [("gray", objects.gray), ("rgb", objects.rgb)] {
                let path = (out as NSString).appendingPathComponent("\(stem).\(m.fileName).\(kind).dcm")
                try file.save(to: path, keepTransferSyntax: false)
                written.append(path)
            }
        }
        return written
    }
}

extension ExplanationMethod: ExpressibleByArgument {}
extension CAMLayer: ExpressibleByArgument {}
extension CAMTarget: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
