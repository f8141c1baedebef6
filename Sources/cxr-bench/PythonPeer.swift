import Foundation

/// Runs a benchmark script under Debian's python3 and collects its `key value` lines; other lines
/// (versions, warnings) are echoed when `echoOthers`.
func runPythonPeer(_ arguments: [String], echoOthers: Bool = false) throws -> [String: Double] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
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
