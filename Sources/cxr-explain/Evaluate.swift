import ArgumentParser
import Classifier
import TensorEngine
import Foundation
import Preprocess

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accuracy, per-class precision and recall, confusion matrix, ROC AUC and calibration of a model on a dataset; with --faithfulness, how faithful its explanations are.")

    @Argument(help: "Dataset folder (PA/, AP/, L/), MANIFEST.tsv or PadChest label CSV.")
    var dataset: String

    @Option(help: "Image root of a PadChest CSV (default: the CSV's folder).")
    var images: String?

    @OptionGroup var decision: DecisionOptions

    @OptionGroup var modelOption: ModelOption

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup(title: "Faithfulness (DESIGN §6)") var faithfulnessOptions: FaithfulnessOptions

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        let model = try modelOption.load()
        let data: Dataset
        do { data = try Dataset.load(dataset, images: images).relabelled(to: model.views) } catch { printError("\(error)"); throw ExitCode(1) }
        for (reason, n) in data.skipped.sorted(by: { $0.key < $1.key }) {
            let line = "skipped \(n) rows: \(reason)"
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }
        if faithfulnessOptions.faithfulness { return try runFaithfulness(model: model, data: data) }
        let classifier = ViewClassifier(model: model, threshold: decision.threshold, gate: decision.gate, readsMarkers: decision.readMarkers)
        let names = model.views.map(\.name)
        var probabilities: [Float] = [], labels: [Int] = [], failures: [String] = []
        // The selective decisions, as `process` makes them: per true class, how many got each outcome.
        var outcomes = [[String: Int]](repeating: [:], count: names.count), wrong = [Int](repeating: 0, count: names.count)
        let progress = Progress(label: "evaluate")
        for start in stride(from: 0, to: data.images.count, by: 16) {
            let chunk = Array(data.images[start..<min(start + 16, data.images.count)])
            defer { progress.update(start + chunk.count, data.images.count) }
            for (image, outcome) in zip(chunk, classifier.classify(paths: chunk.map(\.path))) {
                switch outcome {
                case .success(let p):
                    outcomes[image.label][p.decision.outcome.rawValue, default: 0] += 1
                    if p.decision.outcome == .view, p.decision.view?.name != names[image.label] { wrong[image.label] += 1 }
                    guard !p.decision.probabilities.isEmpty else { continue }
                    probabilities += names.map { Float(p.decision.probabilities[$0] ?? 0) }
                    labels.append(image.label)
                case .failure(let e):
                    failures.append(e.description)
                    printError(e.description)
                }
            }
        }
        progress.finish()
        let metrics = ClassificationMetrics(probabilities: probabilities, labels: labels, classes: names.count)
        let tagged = outcomes.map { $0["view", default: 0] }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            struct PerClass: Encodable { var name: String; var outcomes: [String: Int]; var wrongViews: Int }
            struct Report: Encodable {
                var model: String; var modelSHA256: String; var dataset: String; var thresholds: String
                var metrics: ClassificationMetrics; var decisions: [PerClass]; var failures: [String]
            }
            let perClass = names.indices.map { PerClass(name: names[$0], outcomes: outcomes[$0], wrongViews: wrong[$0]) }
            print(String(decoding: try encoder.encode(Report(model: model.path, modelSHA256: model.sha256, dataset: dataset,
                                                             thresholds: classifier.policy.thresholdSummary, metrics: metrics,
                                                             decisions: perClass, failures: failures)), as: UTF8.self))
        } else {
            print("model    \(model.path) (classes \(names.joined(separator: ", ")), temperature \(String(format: "%.3f", model.temperature)))")
            print("decision \(model.decisionSummary)")
            print("dataset  \(dataset): \(metrics.count) images classified")
            print(String(format: "accuracy %.4f   balanced accuracy %.4f   loss %.4f (calibrated)", metrics.accuracy, metrics.balancedAccuracy, metrics.meanLoss))
            for (i, name) in names.enumerated() {
                let images = metrics.confusion[i].reduce(0, +), predicted = metrics.confusion.reduce(0) { $0 + $1[i] }
                let precision = predicted > 0 ? String(format: "%.4f", metrics.precision[i]) : "n/a (never predicted)"
                let recall = images > 0 ? String(format: "%.4f", metrics.recall[i]) : "n/a (no \(name) images)"
                print("\(name.padding(toLength: 8, withPad: " ", startingAt: 0)) precision \(precision)   recall \(recall)")
            }
            print("ROC AUC  \(metrics.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a (one class only)")   ECE \(String(format: "%.4f", metrics.expectedCalibrationError))")
            print("confusion (rows: true; columns: predicted \(names.joined(separator: ", ")))")
            for (name, row) in zip(names, metrics.confusion) { print("  \(name.padding(toLength: 4, withPad: " ", startingAt: 0))\(row.map { String(format: "%5d", $0) }.joined())") }
            let total = tagged.reduce(0, +), films = outcomes.map { $0.values.reduce(0, +) }.reduce(0, +)
            print("decisions at thresholds \(classifier.policy.thresholdSummary): views written on \(total) of \(films) films, \(wrong.reduce(0, +)) wrong")
            for (i, name) in names.enumerated() {
                let o = outcomes[i]
                print("  \(name): \(o.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); wrong views \(wrong[i])")
            }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
