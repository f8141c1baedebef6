import ArgumentParser
import DICOMOutput
import Foundation
import Logging
import Pipeline
import Preprocess

/// `cxr-explain listen`: the DICOM node. A PACS routes chest studies to it by C-STORE; it processes each
/// study once it is stable and sends the results back.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Run as a DICOM node: receive studies by C-STORE, process each once it is stable, send the results on.",
        discussion: """
            Accepts C-ECHO and C-STORE of CR, DX and Secondary Capture images in the uncompressed, deflated, JPEG, \
            JPEG-LS, JPEG 2000 and RLE transfer syntaxes (other SOP classes are not accepted at association). \
            Each instance is written under OUT/inbox/<study>/ and flushed to disk before Success is answered. \
            A study is processed, as `process` would (same header gate, outputs and records, into \
            OUT/results/<study>/), once no instance of it has arrived for --stable-after seconds; its results \
            (Secondary Captures, SR, Parametric Maps, presentation states — not tagged copies, whose UID the PACS \
            already holds) go to --send. Killed and started again, the node processes what it had received and \
            sends what it had not sent; nothing is processed or sent twice for the same content. SIGTERM or \
            SIGINT: stop accepting, finish the image in hand, exit 0 (the rest of that study is done on the next \
            start); a second one stops at once. One log line per association and per study on stderr; no patient \
            data unless --show-phi.
            """)

    @Option(help: "TCP port to listen on.") var port: UInt16 = 11112
    @Option(help: "Our AE title.") var aet = "CXREXPLAIN"
    @Option(name: .shortAndLong, help: "The node's folder: its queue (inbox/), the results (results/<study>/).")
    var out: String

    @Option(help: "Seconds without a new instance after which a study is processed.") var stableAfter = 30.0
    @Option(name: .customLong("allow"), parsing: .singleValue, help: ArgumentHelp("Only these callers may associate (repeatable; default: anyone).", valueName: "AET[@host]"))
    var allow: [String] = []
    @Option(help: "Associations served at once; more are rejected as 'local limit exceeded'.") var maxAssociations = 4
    @Option(help: "Instances are refused (out of resources) when free disk space under --out falls below this many MiB.") var minFreeMB: UInt64 = 1024
    @Option(help: "Instances larger than this many MiB are refused (out of resources).") var maxInstanceMB: UInt64 = 1024
    @Option(help: "Seconds to wait for a caller's next message.") var timeout = 30

    @OptionGroup var options: RunOptions
    @OptionGroup var sending: SendOptions
    @OptionGroup var modelOption: ModelOption
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do { try StoragePeer.check(aet: aet) } catch { throw ValidationError("--aet: \(error)") }
        for a in allow { do { _ = try DICOMNode.AllowedCaller(parsing: a) } catch { throw ValidationError("--allow: \(error)") } }
        guard port > 0 else { throw ValidationError("--port must be between 1 and 65535") }
        guard stableAfter >= 0 else { throw ValidationError("--stable-after must not be negative") }
        guard (1...64).contains(maxAssociations) else { throw ValidationError("--max-associations must be between 1 and 64") }
        guard maxInstanceMB >= 1, timeout >= 1 else { throw ValidationError("--max-instance-mb and --timeout must be at least 1") }
    }

    func run() throws {
        global.apply()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "cxr-explain.listen")
        let model = try modelOption.load()
        try options.check(model: model)
        var configuration = DICOMNode.Configuration(port: port, aeTitle: aet, folder: out, settings: options.settings(), jobs: options.resolvedJobs)
        configuration.allowed = allow.compactMap { try? DICOMNode.AllowedCaller(parsing: $0) }
        configuration.maxAssociations = maxAssociations
        configuration.timeoutSeconds = timeout
        configuration.stableAfter = stableAfter
        configuration.minimumFreeBytes = minFreeMB << 20
        configuration.maximumInstanceBytes = maxInstanceMB << 20
        configuration.destination = sending.destination
        configuration.stow = sending.stowDestination
        let node: DICOMNode
        do { node = try DICOMNode(configuration: configuration, model: model, logger: logger) } catch {
            printError("\(out): cannot prepare the node's folder (\(FileSystemReason.of(error)))"); throw ExitCode.temporaryFailure
        }
        // SIGTERM (systemd, Kubernetes) and SIGINT stop the node cleanly; a second one ends it at once.
        let signals = StopSignals { sig in
            logger.notice("signal \(sig): stopping after the image in hand (again to stop at once)")
            node.stop()
        }
        do { try node.run() } catch {
            printError("port \(port): \(error)"); throw ExitCode.temporaryFailure
        }
        signals.cancel()
    }
}
