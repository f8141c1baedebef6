import Foundation

/// Runs the built `cxr-explain` binary.
public enum CLI {
    /// The binary beside the test bundle (same build configuration), else the newest under .build.
    public static let executable: String? = {
        let fm = FileManager.default
        var candidates: [String] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(testBinary.appendingPathComponent("cxr-explain").path)
        for config in ["debug", "release"] {
            candidates.append(TestPaths.packageRoot.appendingPathComponent(".build/\(config)/cxr-explain").path)
        }
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }()

    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
        guard let executable else { throw MissingBinary() }
        return try Tool.run(executable, arguments, environment: environment)
    }

    /// Fixes the run's clock (`SOURCE_DATE_EPOCH`) so runs into different folders can be compared byte for byte.
    public static let fixedClock = ["SOURCE_DATE_EPOCH": "1796083200"]

    public struct MissingBinary: Error, CustomStringConvertible {
        public var description: String { "cxr-explain binary not found; build it first (swift build)" }
    }
}
