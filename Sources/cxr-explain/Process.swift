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
            spellings), one frame, not a LOCALIZER. Anything else is skipped with its reason and writes nothing.

            Header policy: a view is written only when its calibrated probability reaches --threshold (default: \
            the model's), and only where the object's IOD defines it (CR: ViewPosition; DX: ViewPosition and \
            View Code Sequence; others: the SR and report only), recorded in Original Attributes Sequence. A \
            frontal film whose AP/PA probability falls short is "frontal, AP/PA uncertain" and gets no view. A \
            header holding a different ViewPosition is kept (reported as a disagreement) unless --overwrite-view. \
            Input files are never modified unless --in-place, which writes a temporary file and renames it over \
            the input.

            A rerun skips images whose input and settings are unchanged and whose outputs exist; every file is \
            written under a temporary name and renamed. Exit status 1 when some file failed (listed at the end).

            --send AET@host:port sends, after the run, every new object of the inputs (Secondary Captures, SRs, \
            converted PNG/JPEG inputs, also those finished by an earlier run) with C-STORE; the UIDs are \
            deterministic, so sending again is harmless. Tagged copies are not sent: they keep the SOP Instance \
            UID of the image the PACS already holds. What was stored is in results.json and the report; exit \
            status 1 when something was not.
            """)

    @Argument(help: "Study folders (or single files).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside an input folder).")
    var out: String

    @Option(name: .long, parsing: .upToNextOption, help: "Explanation methods: \(ExplanationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var methods: [ExplanationMethod] = [.gradcam, .lime]

    @OptionGroup var decision: DecisionOptions

    @Option(help: "The ViewPosition a lateral is written as: LL or RL.")
    var lateralTerm: String = "LL"

    @Flag(help: "Replace a different ViewPosition already in the header (the old value goes into Original Attributes Sequence).")
    var overwriteView = false

    @Flag(help: "Tag the input DICOM files themselves (temporary file + atomic rename) instead of writing tagged copies.")
    var inPlace = false

    // The default depends on the methods. Grad-CAM and its family: one image per core, because reading,
    // resampling and writing are single-threaded (100 images, 2 cores: 10.1 s with 2 jobs, 18.9 s with 1).
    // LIME and occlusion already spread their forward passes over every core; two of them at once were barely
    // faster and much larger (20 images with LIME: 227 s and 686 MB peak with 2 jobs, 236 s and 440 MB with 1).
    @Option(help: "Images processed at once (default: one per core for the Grad-CAM family, 1 with LIME or occlusion, which use every core themselves; each worker uses cores / jobs threads).")
    var jobs: Int?

    var resolvedJobs: Int {
        if let jobs { return jobs }
        return methods.contains(where: { $0 == .lime || $0 == .occlusion }) ? 1 : ProcessInfo.processInfo.activeProcessorCount
    }

    @Option(help: ArgumentHelp("Process only this share of the inputs, by study folder (I from 0, as Kubernetes' JOB_COMPLETION_INDEX); shards may run at once into one --out; then `cxr-explain report OUT`.", valueName: "I/N"))
    var shard: String?

    @Flag(help: "Follow symbolic links while walking (each real folder is visited once).")
    var followLinks = false

    @Flag(help: "Show patient names and IDs in the report and results files.")
    var showPHI = false

    @Flag(help: "De-identify every DICOM object written (PS3.15 basic profile for the attributes copied from the source; source UIDs replaced consistently). No tagged copies are written. Text burned into pixels is not removed.")
    var anonymize = false

    @Option(help: ArgumentHelp("After the run, C-STORE the new objects (Secondary Captures, SRs, converted images) to this PACS.", valueName: "AET@host:port"))
    var send: String?

    @Option(help: "Our AE title when sending.") var callingAET = "CXREXPLAIN"
    @Option(help: "Seconds to wait for the PACS to connect and to answer each request.") var sendTimeout = 30

    @Option(help: "Fraction of the image marked in overlay plane 6000.") var topFraction = 0.2
    @Option(help: "Longest side of the Secondary Capture images.") var scMaxSide = 1024
    @Option(help: "LIME: perturbed samples.") var samples = 1000
    @Option(help: "LIME: superpixels (SLIC).") var segments = 50
    @Option(help: "LIME: random seed.") var seed: UInt64 = 0
    @Option(help: "Grad-CAM family layer: fire9 or relu_conv10.") var layer: CAMLayer = .fire9
    @Option(help: "Colormap: jet or viridis.") var colormap: Colormap = .jet

    @OptionGroup var modelOption: ModelOption
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let shard, Shard(parsing: shard) == nil { throw ValidationError("--shard takes I/N with 0 ≤ I < N, e.g. 0/4") }
        guard ["LL", "RL"].contains(lateralTerm) else { throw ValidationError("--lateral-term must be LL or RL") }
        if anonymize && inPlace { throw ValidationError("--anonymize and --in-place cannot be combined") }
        if anonymize && showPHI { throw ValidationError("--anonymize and --show-phi cannot be combined") }
        if let send {
            do { _ = try StoragePeer(parsing: send) } catch { throw ValidationError("--send: \(error)") }
            do { try StoragePeer.check(aet: callingAET) } catch { throw ValidationError("--calling-aet: \(error)") }
            guard sendTimeout >= 1 else { throw ValidationError("--send-timeout must be at least 1 second") }
        }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard topFraction > 0 && topFraction <= 1 else { throw ValidationError("--top-fraction must be in (0, 1]") }
        guard samples >= 2, segments >= 2, scMaxSide >= 16 else { throw ValidationError("--samples and --segments must be at least 2, --sc-max-side at least 16") }
        let outReal = URL(fileURLWithPath: out).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs {
            let inReal = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path
            if outReal == inReal || outReal.hasPrefix(inReal + "/") {
                throw ValidationError("--out \(out) is inside the input \(input); choose a folder outside the inputs")
            }
        }
    }

    func run() throws {
        global.apply()
        let model = try modelOption.load()
        var settings = ProcessSettings()
        settings.methods = methods
        settings.threshold = decision.threshold
        settings.gate = decision.gate
        settings.lateralTerm = lateralTerm == "RL" ? .rightLateral : .leftLateral
        settings.overwriteView = overwriteView
        settings.inPlace = inPlace
        settings.showPHI = showPHI
        settings.anonymize = anonymize
        settings.suite.layer = layer
        settings.suite.lime = LIMEExplainer(samples: samples, seed: seed, slic: SLIC(segments: segments))
        settings.capture.topFraction = topFraction
        settings.capture.maxSide = scMaxSide
        settings.capture.colormap = colormap

        let (allFiles, walkErrors) = InputTree.walk(inputs, followLinks: followLinks)
        let share = shard.flatMap(Shard.init(parsing:))
        let files = share.map { s in allFiles.filter(s.owns) } ?? allFiles
        if let share { print("shard \(share): \(files.count) of \(allFiles.count) files (by study folder)") }
        for e in walkErrors { printError(e) }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            printError("\(out): cannot create the output folder (\(error.localizedDescription))"); throw ExitCode.temporaryFailure
        }
        // The layout names outputs from every input, so a shard writes exactly the paths an unsharded run would.
        let layout = OutputLayout(root: out, inputs: allFiles)
        let processor = ImageProcessor(model: model, settings: settings, layout: layout)
        let runner = BatchRunner(processor: processor, jobs: resolvedJobs, shard: share != nil)
        print("process: \(files.count) files from \(inputs.joined(separator: ", ")) → \(out) (methods \(methods.map(\.rawValue).joined(separator: ", ")), jobs \(resolvedJobs))")
        let progress = Progress(label: "process", everyLine: true)
        let records = runner.run(files) { event in
            let r = event.record
            let what: String
            switch r.status {
            case .failed: what = "failed: \(r.error ?? "")"
            case .skipped: what = "skipped: \(r.skipReason ?? "")"
            case .done:
                let view = r.view ?? (r.decision == "frontal-uncertain" ? "frontal, AP/PA uncertain" : "uncertain (\(r.mostLikely ?? "?")?)")
                what = String(format: "%@ p=%.4f header %@ → %@%@", view, r.probability ?? 0, r.headerView ?? "none",
                              r.headerAction?.rawValue ?? "", event.skipped ? " (done before, skipped)" : "")
            }
            let warnings = r.warnings.map { "; warning: \($0)" }.joined()
            progress.update(event.done, event.total, line: "[\(event.done)/\(event.total)] \(r.relativePath): \(what)\(warnings)")
        }
        progress.finish()
        let cardPath = (model.path as NSString).deletingPathExtension + ".card.md"
        var report = RunReport(
            parameters: .init(inputs: inputs, output: out, model: model.path, modelSHA256: model.sha256, methods: methods.map(\.rawValue),
                              methodParameters: methods.map { settings.suite.summary($0) },
                              threshold: processor.thresholdSummary, classes: model.views.map(\.name),
                              settingsDigest: processor.settingsDigest, version: "\(Software.name) \(Software.version)", showPHI: showPHI),
            records: records, modelCard: try? String(contentsOfFile: cardPath, encoding: .utf8))
        let s = report.summary
        print("done: \(s.images) images: \(s.viewCounts(order: model.views.map(\.name))), \(s.frontalUncertain) frontal AP/PA uncertain, "
              + "\(s.uncertain) uncertain, \(s.skipped) skipped (not a chest radiograph or not an image), \(s.disagreements) disagree with the header, \(s.failures) failed")
        var sendFailed = false, sendUnreachable = false
        if let send, let peer = try? StoragePeer(parsing: send) {
            let objects = ResultSending.objects(of: records)
            print("send: \(objects.count) objects to \(peer) as \(callingAET)")
            let sending = ResultSending.send(records, root: out, to: peer, callingAET: callingAET, timeoutSeconds: sendTimeout)
            report.sending = sending
            print("sent: \(sending.stored) stored, \(sending.notStored) not stored")
            // A transfer that stopped is one line, not one per object; objects the PACS refused are listed.
            if let error = sending.error { printError("\(error) (\(sending.notStored) objects not stored; see results.json)") }
            for o in sending.objects where !o.stored && (sending.error == nil || o.status != nil || o.message.hasPrefix("not sendable")) {
                printError("\((out as NSString).appendingPathComponent(o.path)): \(o.message)")
            }
            sendFailed = sending.notStored > 0 || sending.error != nil
            // Unreachable or timed out may pass on a retry; an association the PACS rejected (wrong AE title) will not.
            sendUnreachable = sending.error.map { !$0.localizedCaseInsensitiveContains("reject") } ?? false
        }
        let state = RunState(root: out)
        do {
            // The parameters stay beside the records: `report` merges shards (and reruns) from them.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(report.parameters), to: state.parametersPath)
            if share == nil { try report.write(to: out) }
        } catch { printError("\(out): cannot write the report (\(error))"); throw ExitCode.temporaryFailure }
        if let share {
            print("shard \(share) finished: its records are in \(state.recordsFolder); `cxr-explain report \(out)` merges every shard")
        } else {
            print("report: \((out as NSString).appendingPathComponent("report.html"))")
        }
        let failed = records.filter { $0.status == .failed }
        if !failed.isEmpty || !walkErrors.isEmpty {
            printError("\(failed.count + walkErrors.count) input(s) failed:")
            for e in walkErrors { FileHandle.standardError.write(Data("  \(e)\n".utf8)) }
            for r in failed { FileHandle.standardError.write(Data("  \(r.error ?? r.input)\n".utf8)) }
            // A write that failed (disk full, unwritable) or a PACS that did not answer may succeed on a retry:
            // 75 (EX_TEMPFAIL) tells a scheduler to retry; bad inputs alone are 1, which a retry cannot fix.
            if failed.contains(where: { $0.transient == true }) || sendUnreachable { throw ExitCode.temporaryFailure }
            throw ExitCode(1)
        }
        if sendUnreachable { throw ExitCode.temporaryFailure }
        if sendFailed { throw ExitCode(1) }
    }
}
