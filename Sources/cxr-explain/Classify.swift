import ArgumentParser
import Classifier
import TensorEngine
import Foundation
import Pipeline
import Preprocess

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each image's view decision, its calibrated probability, and whether it matches the header's ViewPosition.",
        discussion: """
            Columns: file, decision (a view, "frontal, AP/PA uncertain", "uncertain (X?)" (with "(looks stored \
            turned: N degrees clockwise sets it upright)" for a film stored on its side or upside down), "not a chest radiograph \
            (content distance …)", or "skipped: …" for objects the header gate, the colour check or the blank-image check refuses), \
            probability ("-" where there is no view to weigh), header view, agreement. Only a view is ever written \
            by `process`.
            """)

    @Argument(help: "Image files or folders (walked for DICOM, PNG and JPEG by content).")
    var inputs: [String]

    @OptionGroup var walk: WalkOptions

    @OptionGroup var modelOption: ModelOption

    @OptionGroup var decision: DecisionOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        decision.noteIfMarkersUnread()
        let model = try modelOption.load()
        let listing = InputTree.walk(inputs, followLinks: walk.followLinks)
        let files = listing.files.map(\.path), walkErrors = listing.errors
        for e in walkErrors { printError(e) }
        for note in listing.notes { printNote(note) }
        let classifier = ViewClassifier(model: model, threshold: decision.threshold, gate: decision.gate, readsMarkers: decision.readMarkers)
        var results: [ViewPrediction] = [], failures = walkErrors.count
        // Stream in chunks: memory stays flat however many files there are. The lines show how far it is on a
        // terminal; with --json, or with the lines going to a file, progress goes to stderr.
        let chunk = 16
        let progress = json || isatty(STDOUT_FILENO) == 0 ? Progress(label: "classify") : nil
        for start in stride(from: 0, to: files.count, by: chunk) {
            let batch = Array(files[start..<min(start + chunk, files.count)])
            defer { progress?.update(start + batch.count, files.count) }
            for outcome in classifier.classify(paths: batch) {
                switch outcome {
                case .success(let p):
                    if json { results.append(p) } else { print(p.line) }
                case .failure(let e):
                    printError(e.description)
                    failures += 1
                }
            }
        }
        progress?.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
        if failures > 0 {
            printError("\(failures) of \(files.count + walkErrors.count) inputs failed")
            throw ExitCode(1)
        }
    }
}
