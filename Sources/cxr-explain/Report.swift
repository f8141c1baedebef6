import ArgumentParser
import DICOMOutput
import Foundation
import Pipeline

/// `cxr-explain report DIR`: merges the records every run and shard left in an output folder into one
/// report.html, results.json and results.csv.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge the records of every shard (and rerun) in an output folder into report.html, results.json and results.csv.",
        discussion: "Run once after all `process --shard I/N` runs into the same --out have finished. Exit 1 if any image failed.")

    @Argument(help: "The output folder the shards wrote into.")
    var out: String

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        let state = RunState(root: out)
        guard let parameters = RunReport.parameters(in: out) else {
            printError("\(out): no run parameters (\(state.parametersPath)); run `cxr-explain process … --out \(out)` first")
            throw ExitCode(1)
        }
        // Records of other settings (an earlier run with other options) are not this run's.
        let records = state.loadAll().filter { $0.settingsDigest == parameters.settingsDigest }
        let cardPath = (parameters.model as NSString).deletingPathExtension + ".card.md"
        let report = RunReport(parameters: parameters, records: records, modelCard: try? String(contentsOfFile: cardPath, encoding: .utf8))
        do { try report.write(to: out) } catch { printError("\(out): cannot write the report (\(error))"); throw ExitCode(1) }
        let s = report.summary
        print("report: \(s.images) images from \(records.count) records: \(s.viewCounts(order: parameters.classes)), "
              + "\(s.frontalUncertain) frontal AP/PA uncertain, \(s.uncertain) uncertain, \(s.skipped) skipped, \(s.failures) failed")
        print("report: \((out as NSString).appendingPathComponent("report.html"))")
        if s.failures > 0 { throw ExitCode(1) }
    }
}
