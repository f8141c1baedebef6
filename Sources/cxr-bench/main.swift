// cxr-bench: forward and training speed of the Swift SqueezeNet against torchvision's in the same run.
// Not a test. `swift run -c release cxr-bench [--quick] [--train-only]`; `--explain` for Grad-CAM and LIME.
import COpenBLAS
import Classifier
import TensorEngine
import Foundation

let quick = CommandLine.arguments.contains("--quick")
let repeats = quick ? 3 : 10

func now() -> Double { Date().timeIntervalSinceReferenceDate }

/// Median seconds of `body` over `n` runs after one warm-up.
func median(_ n: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<n { let t0 = now(); body(); times.append(now() - t0) }
    return times.sorted()[times.count / 2]
}

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
if CommandLine.arguments.contains("--explain") {
    do { try runExplainBenchmark(root: packageRoot, repeats: repeats) } catch { print("cxr-bench: \(error)"); exit(1) }
    exit(0)
}

let size = 227
let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 2, inputSize: size))
net.initialise(seed: 1)
func input(batch: Int) -> [Float] {
    var rng = SplitMix64(seed: UInt64(batch))
    return (0..<(batch * 3 * size * size)).map { _ in Float.random(in: -2...2, using: &rng) }
}

var results: [String: Double] = [:]
let trainOnly = CommandLine.arguments.contains("--train-only")
print("cxr-bench: SqueezeNet 1.1, \(size)x\(size), OpenBLAS core \(String(cString: openblas_get_corename()))")
for threads in trainOnly ? [] : [1, 2] {
    Parallel.setThreads(threads)
    for batch in [1, 32] {
        let ws = net.makeWorkspace(batch: batch), x = input(batch: batch)
        let t = median(batch == 1 ? repeats * 3 : repeats) { net.forward(ws, input: x) }
        results["swift.forward.t\(threads).b\(batch)"] = t * 1000 / Double(batch)
        print(String(format: "swift forward  threads %d batch %2d: %7.2f ms/image", threads, batch, t * 1000 / Double(batch)))
    }
}
// Training: forward + backward + AdamW at batch 32, 2 threads.
Parallel.setThreads(2)
do {
    let batch = 32, ws = net.makeWorkspace(batch: batch), x = input(batch: batch)
    let grads = FloatBuffer(count: net.layout.total)
    var adam = AdamW(parameterCount: net.layout.total)
    let labels = (0..<batch).map { $0 % 2 }
    var drop = SplitMix64(seed: 3)
    let t = median(quick ? 2 : 5) {
        let logits = net.forward(ws, input: x, training: true, rng: &drop)
        let (_, d) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, classes: 2)
        grads.zero()
        net.backward(ws, dlogits: d, gradients: grads)
        adam.step(parameters: net.parameters, gradients: grads, learningRate: 1e-4)
    }
    results["swift.train.t2.b32"] = t * 1000 / Double(batch)
    print(String(format: "swift training threads 2 batch 32: %7.2f ms/image   peak RSS %.0f MiB", t * 1000 / Double(batch), peakRSSMiB()))
    results["swift.train.peakRSS"] = peakRSSMiB()
}

if trainOnly { exit(0) }
// torchvision in the same run, when python3-torch is installed.
let script = packageRoot.appendingPathComponent("benchmarks/torch_squeezenet.py").path
if FileManager.default.fileExists(atPath: "/usr/bin/python3"), FileManager.default.fileExists(atPath: script) {
    let torch = try runPythonPeer([script, String(repeats)])
    if torch.isEmpty {
        print("torch: not measured (python3-torch missing?)")
    } else {
        print("\ncase                         swift ms   torch ms   ratio (swift/torch)")
        for key in ["forward.t1.b1", "forward.t1.b32", "forward.t2.b1", "forward.t2.b32", "train.t2.b32"] {
            guard let s = results["swift.\(key)"], let t = torch["torch.\(key)"] else { continue }
            print(key.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: " %10.2f %10.2f %8.2f", s, t, s / t))
        }
        if let rss = torch["torch.train.peakRSS"] { print(String(format: "peak RSS training: swift %.0f MiB, torch %.0f MiB", results["swift.train.peakRSS"]!, rss)) }
    }
}
