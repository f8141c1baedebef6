import Foundation

/// SIGINT and SIGTERM as a request to stop cleanly: the first one calls `onStop` (on a queue, not in signal
/// context) and restores the default action, so a second one ends the process at once.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []

    /// The first signal received, if any.
    var signal: Int32? { lock.withLock { received } }
    var stopRequested: Bool { signal != nil }

    /// The exit status a shell gives a process that signal ended: 128 + the signal's number (130 for SIGINT).
    static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    init(onStop: @escaping @Sendable (Int32) -> Void) {
        // A parent may have blocked them (a test runner, some supervisors): unblock them for this process.
        var unblock = sigset_t()
        sigemptyset(&unblock); sigaddset(&unblock, SIGTERM); sigaddset(&unblock, SIGINT)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM] {
            Foundation.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let first: Bool = lock.withLock {
                    guard received == nil else { return false }
                    received = sig
                    return true
                }
                guard first else { return }
                Foundation.signal(SIGINT, SIG_DFL)
                Foundation.signal(SIGTERM, SIG_DFL)
                onStop(sig)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops listening; signals then act as the process had them before (ignored).
    func cancel() { sources.forEach { $0.cancel() } }
}
