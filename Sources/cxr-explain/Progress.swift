import Foundation

/// Progress for long work: a redrawn line (done/total, rate, time left) on a terminal; otherwise plain
/// lines — every 10 %, or one per item with `everyLine`. Thread-safe.
final class Progress: @unchecked Sendable {
    let label: String
    let started = Date()
    let isTerminal = isatty(STDERR_FILENO) != 0
    let everyLine: Bool
    var lastPercent = -1
    let lock = NSLock()

    init(label: String, everyLine: Bool = false) {
        self.label = label
        self.everyLine = everyLine
    }

    /// `line`: what to print for this item when not on a terminal (with `everyLine`).
    func update(_ done: Int, _ total: Int, line: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let percent = total > 0 ? done * 100 / total : 100
        let text = String(format: "%@: %d/%d  %.2f/s  %.0f s left", label, done, total, rate, left)
        if isTerminal {
            let width = 24, filled = total > 0 ? width * done / total : width
            let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + bar + text).utf8))
        } else if everyLine, let line {
            print(line)
        } else if percent / 10 != lastPercent / 10 || done == total {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        lastPercent = percent
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
