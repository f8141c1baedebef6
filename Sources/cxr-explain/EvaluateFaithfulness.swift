import ArgumentParser
import Classifier
import TensorEngine
import Explain
import Foundation
import Preprocess

/// `evaluate --faithfulness`: DESIGN §6 over a dataset, a table per method.
struct FaithfulnessOptions: ParsableArguments {
    @Flag(help: "Score the explanations instead: deletion/insertion AUC against a random map, the model-randomisation check (Grad-CAM family), LIME stability.")
    var faithfulness = false

    @Option(name: .customLong("methods"), parsing: .upToNextOption, help: "Methods to score.")
    var methods: [ExplanationMethod] = [.gradcam, .gradcampp, .lime, .occlusion]

    @Option(help: "Score at most this many images, taken in turn from each class (0: all).")
    var limit = 0

    /// LIME samples, superpixels and seed, Grad-CAM layer: the same options, with the same defaults, as `process`.
    @OptionGroup var explanation: ExplanationOptions

    @Option(help: "LIME: seeds for the stability check (0, 1, …; 1 skips it).")
    var limeSeeds = 3

    @Option(help: "Also score Grad-CAM-family maps with this fraction of the border zeroed (e.g. 0.1), as '<method>/border'.")
    var borderMask: Double?

    @Flag(help: "Skip the model-randomisation check.")
    var noRandomisation = false

    /// At most `limit` images, alternating classes in dataset order, so a small run still sees both views.
    func subset(_ images: [LabeledImage]) -> [LabeledImage] {
        guard limit > 0, limit < images.count else { return images }
        var queues = Dictionary(grouping: images, by: \.label).sorted { $0.key < $1.key }.map { ArraySlice($0.value) }
        var out: [LabeledImage] = []
        while out.count < limit, queues.contains(where: { !$0.isEmpty }) {
            for i in queues.indices where out.count < limit { if let x = queues[i].popFirst() { out.append(x) } }
        }
        return out
    }
}

extension Evaluate {
    func runFaithfulness(model: ModelFile, data: Dataset) throws {
        let options = faithfulnessOptions
        try checkMethods(options.methods, model: model)
        var suite = ExplanationSuite()
        suite.lime = options.explanation.lime
        suite.layer = options.explanation.layer
        var check = FaithfulnessCheck(suite: suite)
        check.limeSeeds = options.limeSeeds >= 2 ? (0..<UInt64(options.limeSeeds)).map { $0 } : nil
        check.borderMask = options.borderMask
        if options.noRandomisation { check.randomisation = nil }
        let images = options.subset(data.images)
        let progress = Progress(label: "faithfulness")
        var results: [FaithfulnessCheck.Result] = [], failures: [String] = []
        struct PerImage: Encodable { var file: String; var label: String; var result: FaithfulnessCheck.Result }
        var perImage: [PerImage] = []
        for (i, image) in images.enumerated() {
            do {
                let radiograph = try RadiographLoader.load(path: image.path)
                let input = NetworkInput(radiograph: radiograph, options: model.options)
                let r = try check.run(network: model.network, input: input, options: model.options, methods: options.methods,
                                      probe: model.probe, radiograph: radiograph)
                results.append(r)
                perImage.append(PerImage(file: image.path, label: data.classes[image.label].name, result: r))
            } catch let e as ImageReadError {
                failures.append(e.description); printError(e.description)
            } catch {
                failures.append("\(image.path): \(error)"); printError("\(image.path): \(error)")
            }
            progress.update(i + 1, images.count)
        }
        progress.finish()
        let masked = options.borderMask == nil ? [] : options.methods.filter { $0.cam != nil }.map { $0.rawValue + "/border" }
        let summary = FaithfulnessSummary(results: results, methods: options.methods.map(\.rawValue) + masked)
        if json {
            struct Report: Encodable {
                var model: String; var modelSHA256: String; var dataset: String; var limeSamples: Int; var limeSeeds: Int
                var summary: FaithfulnessSummary; var images: [PerImage]; var failures: [String]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let report = Report(model: model.path, modelSHA256: model.sha256, dataset: dataset, limeSamples: options.explanation.samples,
                                limeSeeds: options.limeSeeds, summary: summary, images: perImage, failures: failures)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("model    \(model.path)")
            print("dataset  \(dataset): \(summary.images) images scored")
            print(Self.table(summary))
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    static func table(_ s: FaithfulnessSummary) -> String {
        func stat(_ x: FaithfulnessSummary.Statistic?) -> String {
            guard let x else { return "     –       " }
            return String(format: "%6.3f ± %.3f", x.mean, x.sd)
        }
        var lines = ["method        deletion AUC ↓   insertion AUC ↑  < random   ρ conv10 random   ρ all random"]
        for r in s.methods {
            lines.append(r.method.padding(toLength: 12, withPad: " ", startingAt: 0) + "  " + stat(r.deletionAUC) + "   " + stat(r.insertionAUC)
                         + String(format: "   %3d/%-3d", r.beatsRandomOnDeletion, r.deletionAUC.n)
                         + "   " + stat(r.randomisedConv10Rho) + "    " + stat(r.randomisedAllRho))
        }
        if s.methods.contains(where: { $0.method == ExplanationMethod.probe.rawValue && $0.randomisedConv10Rho != nil }) {
            lines.append("probe: its cascade re-draws the probe's weights first (the \"conv10\" column), then its backbone from fire9 down")
        }
        if let l = s.limeStability { lines.append(String(format: "LIME stability across seeds: Spearman ρ %.3f ± %.3f (%d images)", l.mean, l.sd, l.n)) }
        return lines.joined(separator: "\n")
    }
}
