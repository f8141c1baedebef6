import Foundation

/// Runs a benchmark script under Debian's python3 (or another interpreter, e.g. ONNX Runtime's virtual
/// environment) and collects its `key value` lines; other lines (versions, warnings) are echoed when `echoOthers`.
func runPythonPeer(_ arguments: [String], python: String = "/usr/bin/python3", echoOthers: Bool = false) throws -> [String: Double] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    var values: [String: Double] = [:]
    for line in out.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v } else if echoOthers { print(line) }
    }
    return values
}
