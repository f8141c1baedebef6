import COpenBLAS
import Dispatch
import Foundation

/// Splits element-wise work over the cores. GEMMs always run on one OpenBLAS thread: with more, OpenBLAS
/// splits a GEMM's output into per-thread blocks whose edges fall on different elements for different
/// thread counts, and its edge kernels round differently (seen with the generic "Prescott" kernels: Grad-CAM
/// maps 2.4e-7 apart, RGB Secondary Captures a few values apart). Parallelism comes from our side instead:
/// images (`process --jobs`), batches of perturbed images (LIME, occlusion) and element-wise loops, so the
/// same input gives the same bits whatever the thread count.
public enum Parallel {
    /// Threads for element-wise work and per-image pipelines (`process` divides the cores among its jobs).
    nonisolated(unsafe) public private(set) static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// OpenBLAS's thread count, set once to one and never changed (any GEMM calls this first).
    public static let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

    /// Sets the threads for our loops. Call before any pass runs, not during one. Results do not depend on it.
    public static func setThreads(_ n: Int) {
        _ = singleThreadedBLAS
        workers = max(1, n)
    }

    /// Runs `first` and `second` at once when there is more than one worker, else one after the other.
    /// They must touch disjoint memory.
    public static func both(_ first: () -> Void, _ second: () -> Void) {
        if workers <= 1 { first(); second(); return }
        withoutActuallyEscaping(first) { first in
            withoutActuallyEscaping(second) { second in
                let box = UncheckedBox((first, second))
                DispatchQueue.concurrentPerform(iterations: 2) { i in if i == 0 { box.value.0() } else { box.value.1() } }
            }
        }
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
