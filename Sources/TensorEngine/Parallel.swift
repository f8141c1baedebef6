import COpenBLAS
import Dispatch
import Foundation

/// Splits element-wise work over the cores (the GEMMs are threaded by OpenBLAS; everything between
/// them — im2col, ReLU, pooling — would otherwise leave the second core idle).
public enum Parallel {
    /// Threads for element-wise work; set it together with OpenBLAS's thread count (`setThreads`).
    nonisolated(unsafe) public private(set) static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Sets the threads for both our loops and OpenBLAS's GEMMs. Call before any pass runs, not during one.
    public static func setThreads(_ n: Int) {
        workers = max(1, n)
        openblas_set_num_threads(Int32(workers))
    }

    /// Serialises the work that changes the process-wide thread count (ParallelPredictor drops OpenBLAS to
    /// one thread per worker for a while) with the work whose bits depend on it (training): a training
    /// run beside a LIME explanation in the same process was not reproducible (seen in the test suite).
    private static let threadCountLock = NSRecursiveLock()

    public static func withStableThreadCount<T>(_ body: () throws -> T) rethrows -> T {
        threadCountLock.lock()
        defer { threadCountLock.unlock() }
        return try body()
    }

    /// Calls `body` on contiguous sub-ranges of `0..<count`, concurrently when the work is large enough.
    /// `body` must only touch disjoint memory per range.
    @inline(__always)
    public static func chunks(_ count: Int, minimumChunk: Int = 16384, _ body: (Range<Int>) -> Void) {
        let parts = min(workers, count / max(minimumChunk, 1))
        if parts <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                box.value((count * i / parts)..<(count * (i + 1) / parts))
            }
        }
    }
}

/// Lets a closure over raw buffers cross into `concurrentPerform`; callers guarantee disjoint writes.
public struct UncheckedBox<T>: @unchecked Sendable {
    public var value: T
    public init(_ value: T) { self.value = value }
}

/// One result slot per item, filled from worker threads under a lock.
public final class LockedSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ index: Int, _ value: T) {
        lock.lock(); slots[index] = value; lock.unlock()
    }

    public var values: [T?] { lock.lock(); defer { lock.unlock() }; return slots }
}
