import Classifier
import TensorEngine

/// `cxr-bench --probe`: what the feature probe adds to a decision. One thread, one image: a 227 pass of the
/// product's inference path against the probe's fire6/fire9 taps at each of its default sizes (`SqueezeNet.pooledTaps`).
func runProbeBenchmark(repeats: Int) {
    Parallel.setThreads(1)
    func input(_ side: Int) -> [Float] {
        var rng = SplitMix64(seed: UInt64(side))
        return (0..<(3 * side * side)).map { _ in Float.random(in: -2...2, using: &rng) }
    }
    let base = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 227))
    base.initialise(seed: 1)
    let ws = base.makeWorkspace(batch: 1, fixedWeights: true), x = input(227)
    let pass = median(repeats * 3) { base.forward(ws, input: x) } * 1000
    print(String(format: "network pass 227 (inference path): %7.2f ms (fastest %.2f)", pass, lastMinimum * 1000))
    var probe = 0.0
    for side in FeatureProbe.defaultSizes {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 1, inputSize: side))
        try! net.load(base.tensors, file: "bench", replaceHead: true)  // as the product: the features, a head never run
        let w = net.makeWorkspace(batch: 1), y = input(side)
        let t = median(repeats) { _ = net.pooledTaps(w, input: y) } * 1000
        probe += t
        print(String(format: "probe taps %d:                      %7.2f ms (fastest %.2f), %.1f× a 227 pass", side, t, lastMinimum * 1000, t / pass))
    }
    print(String(format: "probe per image: %.1f ms = %.1f network passes at 227; peak RSS %.0f MiB", probe, probe / pass, peakRSSMiB()))
}
