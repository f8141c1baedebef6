import Classifier
import DICOMOutput
import Foundation
import Preprocess

/// One run of the main job, as a library: walk the inputs once, take a shard's share, process every image
/// (skipping what an earlier run finished), send the new objects, and write the parameters and — unless
/// sharded — the report. `process` and the DICOM node (`listen`) both run their work through it, so both
/// find inputs, decide, write, send and report alike.
public struct Batch: Sendable {
    public var inputs: [String]
    public var out: String
    public var settings: ProcessSettings
    public var jobs: Int
    public var shard: Shard?
    /// Threads per image worker (default: cores / jobs); see `BatchRunner.threadsPerWorker`.
    public var threadsPerWorker: Int?
    public var followLinks = false
    /// The inputs as `plan` walked them; when set (and made for these inputs) the run does not walk again.
    public var plan: RunPlan?
    public var destination: Destination?
    /// A DICOMweb service the new objects are also stored into (STOW-RS).
    public var stow: STOWDestination?
    /// Polled between images: when it turns true the run finishes the images in hand and returns
    /// `.stopped` without sending or reporting (a rerun picks up where it stopped); it writes the parameters, so
    /// `cxr-explain report` can show what is done.
    public var shouldStop: @Sendable () -> Bool = { false }

    /// A C-STORE destination for the run's new objects.
    public struct Destination: Sendable {
        public var peer: StoragePeer
        public var callingAET: String
        public var timeoutSeconds: Int
        public init(peer: StoragePeer, callingAET: String, timeoutSeconds: Int) {
            self.peer = peer; self.callingAET = callingAET; self.timeoutSeconds = timeoutSeconds
        }
    }

    public init(inputs: [String], out: String, settings: ProcessSettings, jobs: Int) {
        self.inputs = inputs; self.out = out; self.settings = settings; self.jobs = max(1, jobs)
    }

    /// How the run ended, as a scheduler should read it.
    public enum Termination: Sendable, Equatable {
        case success
        /// Some input failed, or the PACS refused something: a retry will not help (exit 1).
        case failed
        /// The output folder or the PACS failed (unwritable, disk full, unreachable): a retry may succeed
        /// (exit 75, EX_TEMPFAIL).
        case temporaryFailure
        /// `shouldStop` ended the run before every image was processed.
        case stopped
    }

    public enum Event: Sendable {
        /// The walk is done: this run's files out of all files found, and what the walk left out (folders holding
        /// a CXRExplain run's results, files and folders reached twice), one line each.
        case planned(files: Int, of: Int, fromPlan: Bool, notes: [String])
        case image(BatchRunner.Event)
        case sending(objects: Int, to: StoragePeer)
        case stowing(objects: Int, to: STOWDestination)
    }

    public struct Outcome: Sendable {
        public var records: [ImageRecord]
        /// Paths the walk could not read, one line each.
        public var walkErrors: [String]
        public var report: RunReport
        /// What ended the run early or could not be written (the output folder, the report), if anything.
        public var error: String?
        public var termination: Termination
        /// How many files this run was to process (its shard's share of the inputs).
        public var files: Int

        /// Inputs that failed, one line each (walk errors first).
        public var failureLines: [String] { walkErrors + records.filter { $0.status == .failed }.map { $0.error ?? $0.input } }
    }

    /// Runs the batch. `alreadySent` and `alreadyStowed` name objects (paths relative to `out`) the C-STORE
    /// destination and the STOW-RS service already stored, which are not sent again. `onEvent` is called serialised.
    public func run(model: ModelFile, alreadySent: Set<String> = [], alreadyStowed: Set<String> = [],
                    onEvent: @escaping @Sendable (Event) -> Void) -> Outcome {
        let listing = plan?.listing ?? InputTree.walk(inputs, followLinks: followLinks)
        let allFiles = listing.files, walkErrors = listing.errors
        let files = shard.map { s in allFiles.filter(s.owns) } ?? allFiles
        onEvent(.planned(files: files.count, of: allFiles.count, fromPlan: plan != nil, notes: listing.notes))
        // The layout names outputs from every input, so a shard writes exactly the paths an unsharded run would.
        let layout = OutputLayout(root: out, inputs: allFiles)
        let processor = ImageProcessor(model: model, settings: settings, layout: layout)
        var report = RunReport(
            parameters: .init(inputs: inputs, output: out, model: model.path, modelSHA256: model.sha256, methods: settings.methods.map(\.rawValue),
                              methodParameters: settings.methods.map { settings.suite.summary($0) },
                              threshold: processor.thresholdSummary, classes: model.views.map(\.name),
                              settingsDigest: processor.settingsDigest, version: "\(Software.name) \(Software.version)", showPHI: settings.showPHI,
                              markers: processor.markerReading, decision: model.decisionSummary, walkErrors: walkErrors, walkNotes: listing.notes),
            records: [], modelCard: try? String(contentsOfFile: (model.path as NSString).deletingPathExtension + ".card.md", encoding: .utf8))
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            return Outcome(records: [], walkErrors: walkErrors, report: report,
                           error: "\(out): cannot create the output folder (\(FileSystemReason.of(error)))", termination: .temporaryFailure, files: files.count)
        }
        let runner = BatchRunner(processor: processor, jobs: jobs, shard: shard != nil, threadsPerWorker: threadsPerWorker)
        let records = runner.run(files, shouldStop: shouldStop) { onEvent(.image($0)) }
        report.records = records
        if records.count < files.count {
            // The parameters let `cxr-explain report` show what is done; the run's own report waits for the rest.
            try? writeParameters(report.parameters)
            return Outcome(records: records, walkErrors: walkErrors, report: report, error: nil, termination: .stopped, files: files.count)
        }

        var sendFailed = false, sendUnreachable = false
        if let destination {
            let count = ResultSending.objects(of: records).filter { !alreadySent.contains($0) }.count
            onEvent(.sending(objects: count, to: destination.peer))
            let sending = ResultSending.send(records, root: out, to: destination.peer, callingAET: destination.callingAET,
                                             timeoutSeconds: destination.timeoutSeconds, skipping: alreadySent)
            report.sending = sending
            sendFailed = sending.notStored > 0 || sending.error != nil
            // Unreachable or timed out may pass on a retry; an association the PACS rejected (wrong AE title) will not.
            sendUnreachable = sending.error.map { !$0.localizedCaseInsensitiveContains("reject") } ?? false
        }
        if let stow {
            onEvent(.stowing(objects: ResultSending.objects(of: records).filter { !alreadyStowed.contains($0) }.count, to: stow))
            let stowing = ResultSending.stow(records, root: out, to: stow, skipping: alreadyStowed)
            report.stowing = stowing
            sendFailed = sendFailed || stowing.notStored > 0 || stowing.error != nil
            // Refused credentials will not pass on a retry; a service that did not answer may.
            if let error = stowing.error, !error.contains("credentials were refused") { sendUnreachable = true }
        }
        var outcome = Outcome(records: records, walkErrors: walkErrors, report: report, error: nil, termination: .success, files: files.count)
        do {
            try writeParameters(report.parameters)
            if shard == nil { try report.write(to: out) }
        } catch {
            outcome.error = "\(out): cannot write the report (\(error))"
            outcome.termination = .temporaryFailure
            return outcome
        }
        let failed = records.filter { $0.status == .failed }
        // A write that failed (disk full, unwritable) or a PACS that did not answer may succeed on a retry;
        // bad inputs alone will not.
        if failed.contains(where: { $0.transient == true }) || sendUnreachable {
            outcome.termination = .temporaryFailure
        } else if !failed.isEmpty || !walkErrors.isEmpty || sendFailed {
            outcome.termination = .failed
        }
        return outcome
    }

    /// The parameters stay beside the records: `report` merges shards (and reruns, and stopped runs) from them.
    func writeParameters(_ parameters: RunReport.Parameters) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(parameters), to: RunState(root: out).parametersPath)
    }
}
