import ArgumentParser
import Classifier
import TensorEngine
import DICOMOutput
import Explain
import Foundation
import Pipeline

struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "The main job: walk study folders, classify every image's view, explain it, write DICOM results and a report.",
        discussion: """
            For each image (DICOM found by content; PNG and JPEG by signature) it writes under --out, mirroring \
            the input's relative path: the tagged copy (DICOM inputs whose header gains the view) or the converted \
            DICOM (PNG/JPEG inputs); per method a grayscale Secondary Capture with the explanation region in \
            overlay plane 6000 and an RGB Secondary Capture with the heatmap, one series per method in the \
            source's study; a Comprehensive SR with the view, probability, model and references; and for the \
            run report.html, results.json and results.csv.

            Only chest projection radiographs are classified: Modality CR or DX (SC, OT and PNG/JPEG when the \
            content check accepts them), Body Part Examined absent, empty or CHEST (--chest-body-part adds local \
            spellings), one frame, not a LOCALIZER, gray (MONOCHROME1/2), not blank, not a capture derived from \
            another DICOM image. Anything else is skipped with its reason and writes nothing.

            Header policy: a view is written only when its calibrated probability reaches --threshold (default: \
            the model's), and only where the object's IOD defines it (CR: ViewPosition; DX: ViewPosition and \
            View Code Sequence; others: the SR and report only), recorded in Original Attributes Sequence. A \
            frontal film whose AP/PA probability falls short is "frontal, AP/PA uncertain" and gets no view. The \
            header's words (Series Description, Protocol Name, Image Comments, the order's descriptions and \
            procedure codes) withhold a view they contradict, and make a surely frontal film AP when they name AP \
            and not PA. A header holding a different ViewPosition (or, in a DX, View Code Sequence) is kept \
            (reported as a disagreement) unless --overwrite-view. \
            Input files are never modified unless --in-place, which writes a temporary file and renames it over \
            the input.

            A rerun skips images whose input and settings are unchanged and whose outputs exist; every file is \
            written under a temporary name and renamed. Exit status 1 when some file failed (listed at the end). \
            Ctrl-C (SIGINT) or SIGTERM finishes the image in hand and stops (exit 130 or 143; a second one stops at \
            once); the same command again finishes the rest.

            --send AET@host:port sends, after the run, every new object of the inputs (Secondary Captures, SRs, \
            converted PNG/JPEG inputs, also those finished by an earlier run) with C-STORE; the UIDs are \
            deterministic, so sending again is harmless. Tagged copies are not sent: they keep the SOP Instance \
            UID of the image the PACS already holds. What was stored is in results.json and the report; exit \
            status 1 when something was not.
            """)

    @Argument(help: "Study folders (or single files).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside an input folder; holds the results of one set of inputs: a rerun with the same inputs resumes, other inputs are refused).")
    var out: String

    @OptionGroup var options: RunOptions

    @Flag(help: "Tag the input DICOM files themselves (temporary file + atomic rename) instead of writing tagged copies.")
    var inPlace = false

    @Option(help: ArgumentHelp("Process only this share of the inputs, by study folder (I from 0, as Kubernetes' JOB_COMPLETION_INDEX); shards may run at once into one --out; then `cxr-explain report OUT`.", valueName: "I/N"))
    var shard: String?

    @OptionGroup var walk: WalkOptions

    @OptionGroup var sending: SendOptions

    @OptionGroup var modelOption: ModelOption
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let shard, Shard(parsing: shard) == nil { throw ValidationError("--shard takes I/N with 0 ≤ I < N, e.g. 0/4") }
        if options.anonymize && inPlace { throw ValidationError("--anonymize and --in-place cannot be combined") }
        let outReal = URL(fileURLWithPath: out).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs {
            let inReal = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            if outReal == inReal || outReal.hasPrefix(inReal + "/") {
                throw ValidationError("--out \(out) is inside the input \(input); choose a folder outside the inputs")
            }
        }
        // Outputs are named from the inputs' relative paths: another run's results would be overwritten or mixed in.
        if let earlier = RunReport.parameters(in: out)?.inputRoots, earlier != RunPlan.absolute(inputs) {
            throw ValidationError("--out \(out) holds the results of other inputs (\(earlier.joined(separator: ", "))); "
                                  + "give the same inputs to resume or extend that run, or choose another folder")
        }
    }

    func run() throws {
        global.apply()
        options.decision.noteIfMarkersUnread()
        let model = try modelOption.load()
        try options.check(model: model)
        let settings = options.settings(inPlace: inPlace)
        let methods = options.methods, resolvedJobs = options.resolvedJobs, callingAET = sending.callingAET
        var batch = Batch(inputs: inputs, out: out, settings: settings, jobs: resolvedJobs)
        batch.shard = shard.flatMap(Shard.init(parsing:))
        batch.followLinks = walk.followLinks
        if let plan = RunPlan.load(from: out) {
            if plan.matches(inputs, followLinks: walk.followLinks) { batch.plan = plan } else {
                print("plan: \(RunPlan.path(in: out)) was made for other inputs; walking them instead")
            }
        }
        batch.destination = sending.destination
        batch.stow = sending.stowDestination
        let progress = Progress(label: "process", everyLine: true)
        // Ctrl-C (or SIGTERM) finishes the images in hand and stops; a second one ends the process at once.
        let signals = StopSignals { sig in
            progress.finish()
            printNote("\(Self.signalName(sig)): stopping after the image in hand (again to stop at once)")
        }
        batch.shouldStop = { signals.stopRequested }
        let share = batch.shard
        let outcome = batch.run(model: model) { event in
            switch event {
            case .planned(let files, let all, let fromPlan, let notes):
                if fromPlan { print("plan: \(all) files from \(RunPlan.path(in: out)) (no walk)") }
                for note in notes { print(note) }
                if let share { print("shard \(share): \(files) of \(all) files (by study folder)") }
                print("process: \(files) files from \(inputs.joined(separator: ", ")) → \(out) (methods \(methods.map(\.rawValue).joined(separator: ", ")), jobs \(resolvedJobs))")
            case .image(let event):
                progress.update(event.done, event.total, line: "[\(event.done)/\(event.total)] \(event.record.relativePath): \(Self.describe(event))")
            case .sending(let count, let peer):
                progress.finish()
                print("send: \(count) objects to \(peer) as \(callingAET)")
            case .stowing(let count, let service):
                progress.finish()
                print("stow: \(count) objects to \(service)")
            }
        }
        progress.finish()
        for e in outcome.walkErrors { printError(e) }
        if outcome.termination == .stopped {
            let name = signals.signal.map(Self.signalName) ?? "stopped"
            printNote("\(name): \(outcome.records.count) of \(outcome.files) images done, their outputs and records kept; the same command "
                      + "again finishes the rest (done images are skipped), `cxr-explain report \(out)` reports what is done")
            throw ExitCode(signals.signal.map(StopSignals.exitStatus) ?? ExitCode.temporaryFailure.rawValue)
        }
        let s = outcome.report.summary
        // Paths the walk could not read are no image, but a failure all the same.
        let notRead = outcome.walkErrors.isEmpty ? "" : ", \(outcome.walkErrors.count) not read"
        print("done: \(s.images) images: \(s.viewCounts(order: model.views.map(\.name))), \(s.frontalUncertain) frontal AP/PA uncertain, "
              + "\(s.uncertain) uncertain, \(s.skipped) skipped (not a chest radiograph or not an image), \(s.disagreements) disagree with the header, \(s.failures) failed"
              + notRead)
        for sending in [outcome.report.sending, outcome.report.stowing].compactMap({ $0 }) {
            print("sent: \(sending.stored) stored, \(sending.notStored) not stored (\(sending.peer))")
            // A transfer that stopped is one line, not one per object; objects the PACS refused are listed.
            if let error = sending.error { printError("\(error) (\(sending.notStored) objects not stored; see results.json)") }
            for o in sending.objects where !o.stored && (sending.error == nil || o.status != nil || o.message.hasPrefix("not sendable")) {
                printError("\((out as NSString).appendingPathComponent(o.path)): \(o.message)")
            }
        }
        if let error = outcome.error { printError(error) }
        if outcome.error == nil {
            if let share {
                print("shard \(share) finished: its records are in \(RunState(root: out).recordsFolder); `cxr-explain report \(out)` merges every shard")
            } else {
                print("report: \((out as NSString).appendingPathComponent("report.html"))")
            }
        }
        let failures = outcome.failureLines
        if !failures.isEmpty {
            printError("\(failures.count) input(s) failed:")
            for line in failures { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        }
        switch outcome.termination {
        case .success: return
        case .failed: throw ExitCode(1)
        // 75 (EX_TEMPFAIL) tells a scheduler to retry; bad inputs alone are 1, which a retry cannot fix.
        case .temporaryFailure, .stopped: throw ExitCode.temporaryFailure
        }
    }

    /// How a stop request reads in a message.
    static func signalName(_ signal: Int32) -> String { signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)" }

    /// One progress line's verdict for an image.
    static func describe(_ event: BatchRunner.Event) -> String {
        let r = event.record
        let what: String
        switch r.status {
        case .failed: what = "failed: \(r.error ?? "")"
        case .skipped: what = "skipped: \(r.skipReason ?? "")"
        case .done:
            var view = r.view ?? (r.decision == "frontal-uncertain" ? "frontal, AP/PA uncertain" : "uncertain (\(r.mostLikely ?? "?")?)")
            if let marker = r.marker { view += ViewDecision.markerNote(marker, viewWritten: r.view != nil) }
            if r.view == nil, let turn = r.turnToUpright { view += ViewDecision.turnNote(turn) }
            if let words = r.headerText { view += " (\(words))" }
            what = String(format: "%@ p=%.4f header %@ → %@%@", view, r.probability ?? 0, r.headerView ?? "none",
                          r.headerAction?.rawValue ?? "", event.skipped ? " (done before, skipped)" : "")
        }
        return what + r.warnings.map { "; warning: \($0)" }.joined()
    }
}
