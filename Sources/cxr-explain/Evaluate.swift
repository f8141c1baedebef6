import ArgumentParser
import Classifier
import Foundation
import Preprocess

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accuracy, per-class precision and recall, confusion matrix, ROC AUC and calibration of a model on a dataset; with --faithfulness, how faithful its explanations are.")

    @Argument(help: "Dataset folder (PA/, L/) or MANIFEST.tsv.")
    var dataset: String

    @OptionGroup var modelOption: ModelOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup(title: "Faithfulness (DESIGN §6)") var faithfulnessOptions: FaithfulnessOptions

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        let model = try modelOption.load()
        let data: Dataset
        do { data = try Dataset.load(dataset) } catch { printError("\(error)"); throw ExitCode(1) }
        if faithfulnessOptions.faithfulness { return try runFaithfulness(model: model, data: data) }
        let classifier = ViewClassifier(model: model)
        var probabilities: [Float] = [], labels: [Int] = [], failures: [String] = []
        for start in stride(from: 0, to: data.images.count, by: 16) {
            let chunk = Array(data.images[start..<min(start + 16, data.images.count)])
            for (image, outcome) in zip(chunk, classifier.classify(paths: chunk.map(\.path))) {
                switch outcome {
                case .success(let p):
                    probabilities += [Float(p.probabilities["PA"]!), Float(p.probabilities["L"]!)]
                    labels.append(image.label)
                case .failure(let e):
                    failures.append(e.description)
                    printError(e.description)
                }
            }
        }
        let metrics = ClassificationMetrics(probabilities: probabilities, labels: labels)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            struct Report: Encodable { var model: String; var modelSHA256: String; var dataset: String; var metrics: ClassificationMetrics; var failures: [String] }
            print(String(decoding: try encoder.encode(Report(model: model.path, modelSHA256: model.sha256, dataset: dataset, metrics: metrics, failures: failures)), as: UTF8.self))
        } else {
            print("model    \(model.path)")
            print("dataset  \(dataset): \(metrics.count) images")
            print(String(format: "accuracy %.4f   balanced accuracy %.4f   loss %.4f", metrics.accuracy, metrics.balancedAccuracy, metrics.meanLoss))
            print(String(format: "PA       precision %.4f   recall %.4f", metrics.precision[0], metrics.recall[0]))
            print(String(format: "L        precision %.4f   recall %.4f", metrics.precision[1], metrics.recall[1]))
            print("ROC AUC  \(metrics.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a (one class only)")   ECE \(String(format: "%.4f", metrics.expectedCalibrationError))")
            print("confusion (rows: true PA, L; columns: predicted PA, L)")
            for (name, row) in zip(["PA", "L "], metrics.confusion) { print("  \(name)  \(row.map { String(format: "%5d", $0) }.joined())") }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
