import Foundation

/// Progress for long work: a redrawn line (done/total, rate, time left) on a terminal, plain lines
/// every 10 % otherwise. Thread-safe.
final class Progress: @unchecked Sendable {
    let label: String
    let started = Date()
    let isTerminal = isatty(STDERR_FILENO) != 0
    var lastPercent = -1
    let lock = NSLock()

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let percent = total > 0 ? done * 100 / total : 100
        let text = String(format: "%@: %d/%d  %.1f/s  %.0f s left", label, done, total, rate, left)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        } else if percent / 10 != lastPercent / 10 || done == total {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        lastPercent = percent
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
