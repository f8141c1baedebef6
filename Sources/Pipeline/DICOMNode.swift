import Classifier
import DICOMOutput
import Foundation
import Logging

/// `cxr-explain listen`: a DICOM node that receives chest images by C-STORE into a durable queue
/// (`NodeInbox`), processes each study once no instance of it has arrived for `stableAfter` seconds — through
/// `Batch`, exactly as `process` would — and sends the results on. Everything it has to do next is on disk,
/// so a node killed at any moment and started again finishes what it had acknowledged, and the records and
/// the sent ledger keep it from processing or sending the same content twice.
public final class DICOMNode: StorageNodeDelegate, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var port: UInt16
        public var aeTitle: String
        public var folder: String
        /// Callers allowed to associate (none: anyone).
        public var allowed: [AllowedCaller] = []
        public var maxAssociations = 4
        public var timeoutSeconds = 30
        public var stableAfter: TimeInterval = 30
        public var minimumFreeBytes: UInt64 = 1 << 30
        public var maximumInstanceBytes: UInt64 = 1 << 30
        public var settings: ProcessSettings
        public var jobs: Int
        public var destination: Batch.Destination?
        public var stow: STOWDestination?
        /// A failed send is tried again after this long.
        public var retrySendingAfter: TimeInterval = 60

        public init(port: UInt16, aeTitle: String, folder: String, settings: ProcessSettings, jobs: Int) {
            self.port = port; self.aeTitle = aeTitle; self.folder = folder; self.settings = settings; self.jobs = jobs
        }
    }

    /// `AET` or `AET@host` (host as the caller's address appears to the node, e.g. 127.0.0.1).
    public struct AllowedCaller: Sendable, Equatable, CustomStringConvertible {
        public var aeTitle: String
        public var host: String?
        public init(parsing text: String) throws(StoragePeerError) {
            let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
            guard let aet = parts.first else { throw .invalid("'\(text)' is not AET or AET@host") }
            try StoragePeer.check(aet: aet)
            aeTitle = aet
            host = parts.count == 2 ? parts[1] : nil
            if host?.isEmpty == true { throw .invalid("'\(text)': empty host") }
        }
        public func admits(aeTitle: String, host: String) -> Bool {
            aeTitle == self.aeTitle && (self.host == nil || self.host == host)
        }
        public var description: String { aeTitle + (host.map { "@" + $0 } ?? "") }
    }

    public let configuration: Configuration
    public let inbox: NodeInbox
    private let model: ModelFile
    private let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private var scp: StorageNode?

    public init(configuration: Configuration, model: ModelFile, logger: Logger) throws {
        self.configuration = configuration
        self.model = model
        self.logger = logger
        inbox = try NodeInbox(root: configuration.folder, minimumFreeBytes: configuration.minimumFreeBytes,
                              maximumInstanceBytes: configuration.maximumInstanceBytes)
    }

    public var isStopping: Bool { lock.withLock { stopping } }

    /// Stops accepting associations and ends the run after the image in hand; thread-safe (a signal handler's).
    public func stop() {
        let scp = lock.withLock { stopping = true; return self.scp }
        scp?.stop()
    }

    /// Listens and processes until `stop()`. Throws when the port cannot be opened.
    public func run() throws {
        let scp = try StorageNode(port: configuration.port, aeTitle: configuration.aeTitle, maxAssociations: configuration.maxAssociations,
                                  timeoutSeconds: configuration.timeoutSeconds, delegate: self)
        lock.withLock { self.scp = scp }
        final class ListenResult: @unchecked Sendable { var error: StorageNodeError?; let done = DispatchSemaphore(value: 0) }
        let listening = ListenResult()
        Thread.detachNewThread {
            do throws(StorageNodeError) { try scp.run() } catch { listening.error = error }
            listening.done.signal()
        }
        logger.info("listening as \(configuration.aeTitle) on port \(configuration.port); queue \(configuration.folder)")
        while !isStopping {
            if listening.done.wait(timeout: .now()) == .success {  // the listener ended by itself: the port failed
                if let error = listening.error { throw error }
                break
            }
            processReadyStudies()
            Thread.sleep(forTimeInterval: 0.5)
        }
        scp.stop()
        listening.done.wait()
        if let error = listening.error { throw error }
        logger.info("stopped")
    }

    /// Every study whose last instance arrived at least `stableAfter` ago and that has unprocessed instances
    /// or unsent results. Up to `jobs` studies at once (most studies hold one or two images, so one study at a
    /// time would leave cores idle); their images' results do not depend on it.
    func processReadyStudies() {
        let now = Date()
        let ready: [(study: NodeInbox.Study, state: NodeStudyState)] = inbox.studies().compactMap { study in
            guard now.timeIntervalSince(study.lastArrival) >= configuration.stableAfter else { return nil }
            let state = NodeStudyState.load(from: resultFolder(of: study))
            let unprocessed = !Set(study.files).isSubset(of: Set(state.processed))
            let retrySend = !(state.unsent.isEmpty && state.unstowed.isEmpty)
                && now.timeIntervalSince(state.attemptedAt ?? .distantPast) >= configuration.retrySendingAfter
            return unprocessed || retrySend ? (study, state) : nil
        }
        guard !ready.isEmpty else { return }
        let workers = min(configuration.jobs, ready.count)
        let jobsPerStudy = max(1, configuration.jobs / workers)
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / configuration.jobs)
        let next = NSLock()
        nonisolated(unsafe) var index = 0
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while !isStopping {
                    let i: Int = next.withLock { defer { index += 1 }; return index }
                    guard i < ready.count else { return }
                    process(ready[i].study, state: ready[i].state, jobs: jobsPerStudy, threads: threads)
                }
            }
        }
        group.wait()
    }

    func resultFolder(of study: NodeInbox.Study) -> String { (inbox.resultsFolder as NSString).appendingPathComponent(study.name) }

    func process(_ study: NodeInbox.Study, state: NodeStudyState, jobs: Int, threads: Int) {
        let started = Date(), resultFolder = resultFolder(of: study)
        var state = state
        var batch = Batch(inputs: [study.folder], out: resultFolder, settings: configuration.settings, jobs: jobs)
        batch.threadsPerWorker = threads
        batch.destination = configuration.destination
        batch.stow = configuration.stow
        batch.shouldStop = { [weak self] in self?.isStopping ?? true }
        let outcome = batch.run(model: model, alreadySent: Set(state.sent), alreadyStowed: Set(state.stowed)) { _ in }
        if outcome.termination == .stopped {
            logger.notice("study \(study.name): stopped after \(outcome.records.count) of \(study.files.count) images; it is finished on the next start")
            return
        }
        // A write that failed for want of space is tried again; a bad input is not.
        state.processed = outcome.records.filter { !($0.status == .failed && $0.transient == true) }.map(\.relativePath).sorted()
        if let sending = outcome.report.sending {
            state.sent = Array(Set(state.sent).union(sending.objects.filter(\.stored).map(\.path))).sorted()
            state.unsent = sending.objects.filter { !$0.stored }.map(\.path).sorted()
            state.attemptedAt = Date()
        }
        if let stowing = outcome.report.stowing {
            state.stowed = Array(Set(state.stowed).union(stowing.objects.filter(\.stored).map(\.path))).sorted()
            state.unstowed = stowing.objects.filter { !$0.stored }.map(\.path).sorted()
            state.attemptedAt = Date()
        }
        do { try state.save(to: resultFolder) } catch {
            logger.error("study \(study.name): cannot save its state (\(error)); it will be processed again")
        }
        let s = outcome.report.summary
        var line = "study \(study.name): \(s.images) images (\(s.viewCounts(order: model.views.map(\.name))), \(s.frontalUncertain) frontal AP/PA uncertain, "
            + "\(s.uncertain) uncertain, \(s.skipped) skipped, \(s.failures) failed) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
        for sending in [outcome.report.sending, outcome.report.stowing].compactMap({ $0 }) {
            line += "; sent to \(sending.peer): \(sending.stored) stored, \(sending.notStored) not stored"
            if let error = sending.error { line += " (\(error))" }
        }
        if outcome.report.sending != nil || outcome.report.stowing != nil {
            line += String(format: "; %.1f s after its last instance", Date().timeIntervalSince(study.lastArrival))
        }
        if let error = outcome.error { line += "; \(error)" }
        if outcome.termination == .success { logger.info("\(line)") } else { logger.warning("\(line)") }
    }

    // MARK: StorageNodeDelegate (called from the associations' threads)

    public func accept(callingAET: String, host: String) -> Bool {
        // The refusal is logged when the association ends (one line per association).
        (configuration.allowed.isEmpty || configuration.allowed.contains { $0.admits(aeTitle: callingAET, host: host) }) && !isStopping
    }

    public func admit(callingAET: String, sopClassUID: String) -> Result<String, StorageNodeRefusal> {
        if let path = inbox.spoolPath() { return .success(path) }
        logger.warning("refused an instance from \(callingAET): free disk space below \(configuration.minimumFreeBytes >> 20) MiB (out of resources)")
        return .failure(StorageNodeRefusal(status: NodeInbox.Status.outOfResources))
    }

    public func stored(callingAET: String, spoolPath: String, sopClassUID: String, sopInstanceUID: String) -> UInt16 {
        switch inbox.accept(spooled: spoolPath, sopInstanceUID: sopInstanceUID) {
        case .queued: return NodeInbox.Status.success
        case .refused(let status, let reason):
            logger.warning("refused an instance from \(callingAET): \(reason) (status \(String(format: "%04X", status)))")
            return status
        }
    }

    public func associationEnded(callingAET: String, host: String, stored: Int, refused: Int, how: String) {
        let line: Logger.Message = "association from \(callingAET)@\(host): \(stored) stored, \(refused) refused, \(how)"
        if how == "released" { logger.info(line) } else { logger.warning(line) }
    }
}

/// What the node has done for one study, in `results/<study>/.cxr-explain/node.json`.
struct NodeStudyState: Codable, Equatable {
    /// Inbox files processed (their records are final).
    var processed: [String] = []
    /// Objects (paths relative to the result folder) the destination stored.
    var sent: [String] = []
    /// Objects offered at the last attempt and not stored.
    var unsent: [String] = []
    /// The same for the STOW-RS service.
    var stowed: [String] = []
    var unstowed: [String] = []
    var attemptedAt: Date?

    init() {}

    // Keys a node of an earlier version did not write are empty, not an error (which would forget what was sent).
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        processed = try c.decodeIfPresent([String].self, forKey: .processed) ?? []
        sent = try c.decodeIfPresent([String].self, forKey: .sent) ?? []
        unsent = try c.decodeIfPresent([String].self, forKey: .unsent) ?? []
        stowed = try c.decodeIfPresent([String].self, forKey: .stowed) ?? []
        unstowed = try c.decodeIfPresent([String].self, forKey: .unstowed) ?? []
        attemptedAt = try c.decodeIfPresent(Date.self, forKey: .attemptedAt)
    }

    static func path(in resultFolder: String) -> String { (resultFolder as NSString).appendingPathComponent("\(RunState.stateFolder)/node.json") }

    static func load(from resultFolder: String) -> NodeStudyState {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = FileManager.default.contents(atPath: path(in: resultFolder)),
              let state = try? decoder.decode(NodeStudyState.self, from: data) else { return NodeStudyState() }
        return state
    }

    func save(to resultFolder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try AtomicFile.write(try encoder.encode(self), to: Self.path(in: resultFolder))
    }
}
