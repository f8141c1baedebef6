import TensorEngine
import Dispatch
import Preprocess

/// Probabilities for many independent images (LIME samples, occlusion masks, deletion steps): one
/// single-threaded forward pipeline per core, each with its own fixed-weights workspace (oneDNN blocked
/// convolutions, one image at a time), taking every n-th batch.
/// Faster than one two-threaded pipeline because nothing synchronises between layers; each image's
/// result is the same for any number of workers (each pass runs on its worker's thread alone).
public enum ParallelPredictor {
    /// - Parameter image: makes image `i` (gray, size², [0, 1]); called from the worker threads.
    /// - Returns: `count × classes` probabilities in image order.
    public static func probabilities(_ net: Ensemble, count: Int, batch: Int, options: NetworkInputOptions,
                                     image: @Sendable (Int) -> [Float]) -> [Float] {
        // Slices of a fixed size, whatever the worker count (each image is its own pass, so its bits depend
        // neither on its batch nor on how many workers share the batches).
        let slice = max(1, batch / 2), batches = (count + slice - 1) / slice
        return inWorkers(net, count: count, batch: slice, batches: batches, workers: Parallel.workers, options: options, image: image)
    }

    /// `workers` pipelines, each taking every `workers`-th batch of `slice` images (one pipeline runs inline).
    static func inWorkers(_ net: Ensemble, count: Int, batch slice: Int, batches: Int, workers: Int, options: NetworkInputOptions,
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
