import ArgumentParser
import DICOMBridge
import DICOMOutput
import Foundation

/// The root command: configuration only. Exit status: 0 all good, 1 some files failed, 2 usage error.
@main
struct CXRExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cxr-explain",
        abstract: "Classify chest X-ray views (PA, AP or lateral), explain each decision, and write the results back as DICOM.",
        version: Software.version,
        subcommands: [ProcessCommand.self, PlanCommand.self, ReportCommand.self, ListenCommand.self, Classify.self, ExplainCommand.self, Train.self, Evaluate.self, Inspect.self, Convert.self]
    )

    /// Runs the command ourselves so that usage errors exit with 2 (DESIGN §2), not EX_USAGE (64).
    static func main() {
        dcb_line_buffer_stdout()  // progress lines appear as they happen, also when redirected
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))  // --help, --version
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            if code == .validationFailure || error is ValidationError { Foundation.exit(2) }
            Foundation.exit(code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Let DCMTK, libpng and libjpeg print their own diagnostics to stderr.")
    var verbose = false

    func apply() { dcb_set_verbose(verbose ? 1 : 0) }
}

/// A line on stderr that is no error (what was left out and why), so that stdout stays the command's result.
func printNote(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A one-line error on stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
}

extension ExitCode {
    /// EX_TEMPFAIL (sysexits.h): the environment failed (output unwritable, disk full, PACS unreachable); a
    /// retry may succeed. Kubernetes' podFailurePolicy and Slurm requeue can act on it.
    static let temporaryFailure = ExitCode(75)
}
