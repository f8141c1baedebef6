import ArgumentParser
import Foundation
import Pipeline

/// `cxr-explain plan`: walk the inputs once and keep the list in the output folder for every shard.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Walk the inputs once and write the run plan (every file's relative path, size, study, format) into --out.",
        discussion: """
            `process` with the same inputs and --out then reads the plan instead of walking: run `plan` once before \
            starting many `process --shard I/N` jobs over a large archive. Plan again when the inputs change; a plan \
            made for other inputs is ignored (and said so).
            """)

    @Argument(help: "Study folders (or single files), as `process` will be given them.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output folder `process` will write into.")
    var out: String

    @OptionGroup var walk: WalkOptions

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        let started = Date()
        let plan = RunPlan.make(inputs, followLinks: walk.followLinks)
        for e in plan.walkErrors { printError(e) }
        for note in plan.listing.notes { printNote(note) }
        do { try plan.write(to: out) } catch {
            printError("\(out): cannot write the plan (\(error))"); throw ExitCode.temporaryFailure
        }
        let formats = Dictionary(grouping: plan.files, by: \.format).mapValues(\.count).sorted { $0.key < $1.key }
        let studies = Set(plan.files.map(\.study)).count
        let formatList = formats.isEmpty ? "" : " (\(formats.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))"
        print("plan: \(plan.files.count) file\(plan.files.count == 1 ? "" : "s") in \(studies) study folder\(studies == 1 ? "" : "s")\(formatList), "
              + "\(plan.files.reduce(Int64(0)) { $0 + max(0, $1.size) } >> 20) MiB, walked in \(String(format: "%.1f", Date().timeIntervalSince(started))) s "
              + "→ \(RunPlan.path(in: out))")
        if !plan.walkErrors.isEmpty { throw ExitCode(1) }
    }
}
