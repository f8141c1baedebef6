import Foundation

/// Where the package and the shared data live, and helpers to run real tools in tests.
public enum TestPaths {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the checkout (CI has it there too), or $CXR_SHARED.
    public static let shared: URL = {
        if let env = ProcessInfo.processInfo.environment["CXR_SHARED"] { return URL(fileURLWithPath: env) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static let dicomData = shared.appendingPathComponent("data/dicom")
    public static let viewData = shared.appendingPathComponent("data/cxr-views")

    public static func dicom(_ name: String) -> String { dicomData.appendingPathComponent(name).path }

    public static var sharedDataAvailable: Bool {
        FileManager.default.fileExists(atPath: dicomData.appendingPathComponent("MANIFEST.tsv").path)
    }

    /// One folder per test process holding every test's temporary folder, removed when the process
    /// exits (a run writes gigabytes of DICOM; set CXR_KEEP_TEST_FILES=1 to keep them after a failure).
    public static let temporaryRoot: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cxr-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["CXR_KEEP_TEST_FILES"] == nil {
            atexit { try? FileManager.default.removeItem(at: TestPaths.temporaryRoot) }
        }
        return root
    }()

    /// A fresh temporary folder for one test, inside `temporaryRoot`.
    public static func temporaryDirectory(_ label: String = "test") -> URL {
        let url = temporaryRoot.appendingPathComponent("cxr-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Rows of a tab-separated manifest with a header line.
public func readTSV(_ url: URL) -> [[String: String]] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    guard !lines.isEmpty else { return [] }
    let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    return lines.map { line in
        let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        var row: [String: String] = [:]
        for (i, key) in header.enumerated() { row[key] = i < cells.count ? cells[i] : "" }
        return row
    }
}

/// The result of running an external program.
public struct ToolResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Tool {
    /// Absolute path of a program on PATH (or in /usr/bin), nil if absent.
    public static func find(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// In CI (CI=true) every external tool must exist; elsewhere a missing tool skips its test.
    public static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// - Parameter environment: variables added to this process's environment for the tool.
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                           environment: [String: String] = [:]) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : (find(executable) ?? executable))
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        // stderr goes to a file, so a chatty tool cannot block on a second full pipe.
        let errURL = TestPaths.temporaryRoot.appendingPathComponent("cxr-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = errHandle
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errHandle.close()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return ToolResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Debian's Python (with numpy and pydicom), which the tests use to read back what we write.
    public static var python: String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : nil
    }

    public static var pydicomAvailable: Bool {
        guard let python else { return false }
        return (try? run(python, ["-c", "import pydicom, numpy"]).status) == 0
    }
}
