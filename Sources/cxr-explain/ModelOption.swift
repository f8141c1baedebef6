import ArgumentParser
import Classifier
import TensorEngine
import Foundation

/// `--model`, defaulting to the model the project ships (sample-data/models/).
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: "Model weights (.safetensors). Default: $CXR_EXPLAIN_MODEL, else the shipped sample-data/models/cxr-views-squeezenet.safetensors.")
    var model: String?

    static let shippedName = "sample-data/models/cxr-views-squeezenet.safetensors"

    /// The model path: the option, the environment, or the shipped file found above the executable.
    func resolvedPath() throws -> String {
        if let model { return model }
        if let env = ProcessInfo.processInfo.environment["CXR_EXPLAIN_MODEL"], !env.isEmpty { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(Self.shippedName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let cwd = FileManager.default.currentDirectoryPath + "/" + Self.shippedName
        if FileManager.default.fileExists(atPath: cwd) { return cwd }
        throw ValidationError("no model found: pass --model or set CXR_EXPLAIN_MODEL")
    }

    func load() throws -> ModelFile {
        let path = try resolvedPath()
        do { return try ModelFile(path: path) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}
