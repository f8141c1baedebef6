import TensorEngine
import Dispatch
import Preprocess

/// Probabilities for many independent images (LIME samples, occlusion masks, deletion steps): one
/// single-threaded forward pipeline per core, each with its own workspace, taking every n-th batch.
/// Faster than one two-threaded pipeline because nothing synchronises between layers; each image's
/// result is the same either way (OpenBLAS does not split a GEMM's inner dimension across threads).
public enum ParallelPredictor {
    /// - Parameter image: makes image `i` (gray, size², [0, 1]); called from the worker threads.
    /// - Returns: `count × classes` probabilities in image order.
    public static func probabilities(_ net: SqueezeNet, count: Int, batch: Int, options: NetworkInputOptions,
                                     image: @Sendable (Int) -> [Float]) -> [Float] {
        let workers = Parallel.workers
        if workers <= 1 || count <= batch {
            return inWorkers(net, count: count, batch: batch, batches: (count + batch - 1) / batch, workers: 1, options: options, image: image)
        }
        // The batch is split over the workers: the images in flight (and the workspaces' memory) stay as
        // for one pipeline of `batch`.
        let slice = max(1, batch / workers), batches = (count + slice - 1) / slice
        return Parallel.withStableThreadCount {
            Parallel.setThreads(1)
            defer { Parallel.setThreads(workers) }
            return inWorkers(net, count: count, batch: slice, batches: batches, workers: workers, options: options, image: image)
        }
    }

    /// `workers` pipelines, each taking every `workers`-th batch of `slice` images (one pipeline runs inline).
    static func inWorkers(_ net: SqueezeNet, count: Int, batch slice: Int, batches: Int, workers: Int, options: NetworkInputOptions,
                          image: @Sendable (Int) -> [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: count * net.classes)
        out.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedBox(buffer)
            withoutActuallyEscaping(image) { image in
                let make = UncheckedBox(image)
                DispatchQueue.concurrentPerform(iterations: min(workers, batches)) { w in
                    let ws = net.makeWorkspace(batch: min(slice, max(count, 1)))
                    for b in Swift.stride(from: w, to: batches, by: workers) {
                        let range = (b * slice)..<min(count, (b + 1) * slice)
                        let p = Trainer.predict(net, grays: range.map(make.value), workspace: ws, options: options)
                        for (k, v) in p.enumerated() { shared.value[range.lowerBound * net.classes + k] = v }
                    }
                }
            }
        }
        return out
    }
}
