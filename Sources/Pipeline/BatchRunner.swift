import Classifier
import TensorEngine
import Foundation
import Preprocess

/// Runs `ImageProcessor` over inputs with `jobs` workers, one image at a time per worker (memory stays
/// bounded by the workers, not the number of images), skipping finished work, saving a record per image.
public final class BatchRunner: @unchecked Sendable {
    public let processor: ImageProcessor
    public let state: RunState
    public let jobs: Int

    public struct Event: Sendable {
        public var done: Int
        public var total: Int
        public var record: ImageRecord
        public var skipped: Bool
    }

    /// Set for a shard: stale temporaries are removed only where this shard writes.
    public let shardOwned: Bool

    /// Threads each worker's loops use (default: cores / jobs). A caller running several runners at once
    /// (the DICOM node, one study per worker) passes cores / all its workers, so every runner sets the same.
    public let threadsPerWorker: Int

    public init(processor: ImageProcessor, jobs: Int, shard: Bool = false, threadsPerWorker: Int? = nil) {
        self.processor = processor
        self.threadsPerWorker = max(1, threadsPerWorker ?? ProcessInfo.processInfo.activeProcessorCount / max(1, jobs))
        state = RunState(root: processor.layout.root)
        self.jobs = max(1, jobs)
        shardOwned = shard
    }

    /// Processes `inputs` and returns their records in input order. `onEvent` is called (serialised)
    /// after each image. When `shouldStop` turns true the workers finish the images in hand and take no
    /// more; the records returned are then those of the images processed.
    public func run(_ inputs: [InputFile], shouldStop: @escaping @Sendable () -> Bool = { false },
                    onEvent: @escaping @Sendable (Event) -> Void) -> [ImageRecord] {
        state.removeStaleTemporaries(owned: shardOwned ? inputs : nil)
        // Both cores for one worker; one core each for two. Results do not depend on it.
        Parallel.setThreads(threadsPerWorker)
        final class Shared: @unchecked Sendable {  // guarded by `lock`
            let lock = NSLock()
            var next = 0, done = 0
            var records: [ImageRecord?]
            init(count: Int) { records = [ImageRecord?](repeating: nil, count: count) }
        }
        let shared = Shared(count: inputs.count)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(1, inputs.count)) {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while true {
                    shared.lock.lock()
                    let i = shared.next
                    shared.next += 1
                    shared.lock.unlock()
                    guard i < inputs.count, !shouldStop() else { return }
                    let (record, skipped) = work(inputs[i])
                    shared.lock.lock()
                    shared.records[i] = record
                    shared.done += 1
                    onEvent(Event(done: shared.done, total: inputs.count, record: record, skipped: skipped))
                    shared.lock.unlock()
                }
            }
        }
        group.wait()
        return shared.records.compactMap { $0 }
    }

    func work(_ input: InputFile) -> (ImageRecord, Bool) {
        let digest: String
        do { digest = try Digest.sha256Hex(ofFileAt: input.path) } catch {
            var r = ImageRecord(input: input.path, relativePath: input.relativePath, inputSHA256: "", settingsDigest: processor.settingsDigest, status: .failed)
            r.error = "\(input.path): cannot read (\(error))"
            return (r, false)
        }
        let previous = state.load(input.relativePath)
        if let previous, state.isFinished(previous, inputSHA256: digest, settingsDigest: processor.settingsDigest) {
            return (previous, true)
        }
        // The first run on this content fixed the time; a rerun (other settings, lost outputs) keeps it.
        let actedAt = previous?.inputSHA256 == digest ? previous?.actedAt : nil
        let record = processor.process(input, inputSHA256: digest, actedAt: actedAt ?? ImageRecord.now())
        do { try state.save(record) } catch {
            var r = record
            r.status = .failed
            r.error = "\(input.path): cannot save the run record (\(error))"
            r.transient = true
            return (r, false)
        }
        return (record, false)
    }
}
