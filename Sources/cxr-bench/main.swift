// cxr-bench: forward and training speed of the Swift SqueezeNet against torchvision's and ONNX Runtime's in the same run.
// Not a test. `swift run -c release cxr-bench [--quick] [--train-only]`; `--explain` for Grad-CAM and LIME, `--probe` for the
// feature probe's cost.
import COpenBLAS
import Classifier
import TensorEngine
import Foundation

let quick = CommandLine.arguments.contains("--quick")
let repeats = quick ? 3 : 10

func now() -> Double { Date().timeIntervalSinceReferenceDate }

/// Fastest seconds of the last `median` call: on a shared machine the minimum shows the code, the median the machine.
nonisolated(unsafe) var lastMinimum = 0.0

/// Median seconds of `body` over `n` runs after one warm-up (the minimum goes to `lastMinimum`).
func median(_ n: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<n { let t0 = now(); body(); times.append(now() - t0) }
    lastMinimum = times.min()!
    return times.sorted()[times.count / 2]
}

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
if CommandLine.arguments.contains("--probe") {
    runProbeBenchmark(repeats: repeats)
    exit(0)
}
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
print("cxr-bench: SqueezeNet 1.1, \(size)x\(size); inference \(SqueezeNet.inferenceKernels); training: forward as inference, backward GEMM \(GEMM.kernels); OpenBLAS core \(String(cString: openblas_get_corename())) (LAPACK, LIME ridge)")
for threads in trainOnly ? [] : [1, 2] {
    Parallel.setThreads(threads)
    for batch in [1, 32] {
        let x = input(batch: batch)
        // The product's inference path (fixed weights: oneDNN's blocked convolutions), then the training path's.
        for fixed in [true, false] {
            let ws = net.makeWorkspace(batch: batch, fixedWeights: fixed)
            let t = median(batch == 1 ? repeats * 10 : repeats) { net.forward(ws, input: x) }
            if fixed { results["swift.forward.t\(threads).b\(batch)"] = t * 1000 / Double(batch) }
            print(String(format: "swift forward  threads %d batch %2d: %7.2f ms/image (fastest %.2f)%@", threads, batch, t * 1000 / Double(batch),
                         lastMinimum * 1000 / Double(batch), fixed ? "" : "  [training path: im2col + sgemm]"))
        }
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
// torchvision and ONNX Runtime in the same run, when installed (benchmarks/install-python-peers.sh).
var peers: [String: Double] = [:]
let script = packageRoot.appendingPathComponent("benchmarks/torch_squeezenet.py").path
if FileManager.default.fileExists(atPath: "/usr/bin/python3") {
    peers.merge(try runPythonPeer([script, String(repeats)])) { a, _ in a }
    if peers.isEmpty { print("torch: not measured (python3-torch missing?)") }
}
// ONNX Runtime from PyPI lives in its own virtual environment (it needs numpy 2, which breaks Debian's torch);
// the network is exported by Debian's torch with the same seed as torch_squeezenet.py.
let ortPython = ProcessInfo.processInfo.environment["CXR_ORT_VENV", default: "/opt/cxr-ort"] + "/bin/python"
if FileManager.default.fileExists(atPath: ortPython) {
    let onnx = FileManager.default.temporaryDirectory.appendingPathComponent("cxr-bench-squeezenet-\(getpid()).onnx").path
    defer { try? FileManager.default.removeItem(atPath: onnx) }
    _ = try runPythonPeer([packageRoot.appendingPathComponent("benchmarks/export_onnx.py").path, onnx])
    peers.merge(try runPythonPeer([packageRoot.appendingPathComponent("benchmarks/ort_squeezenet.py").path, onnx, String(repeats)],
                                  python: ortPython, echoOthers: true)) { a, _ in a }
    // This VM's speed drifts by a third between minutes; a ratio of two numbers taken minutes apart says more
    // about the drift than the code. So the headline case is also timed in rounds, Swift then ONNX Runtime
    // a few seconds apart, and the ratio of each round reported.
    Parallel.setThreads(1)
    let x = input(batch: 1), ws = net.makeWorkspace(batch: 1, fixedWeights: true)
    var ratios: [Double] = []
    for _ in 0..<(quick ? 2 : 5) {
        let swift = median(repeats * 3) { net.forward(ws, input: x) } * 1000
        let round = try runPythonPeer([packageRoot.appendingPathComponent("benchmarks/ort_squeezenet.py").path, onnx, String(repeats), "t1b1"],
                                      python: ortPython)
        if let o = round["ort.forward.t1.b1"] { ratios.append(swift / o); print(String(format: "round: swift %.2f ms, ORT %.2f ms, %.2f×", swift, o, swift / o)) }
    }
    if !ratios.isEmpty {
        ratios.sort()
        print(String(format: "forward.t1.b1 in %d interleaved rounds: swift/ORT median %.2f× (%.2f–%.2f)", ratios.count,
                     ratios[ratios.count / 2], ratios.first!, ratios.last!))
    }
} else {
    print("ONNX Runtime: not measured (no virtual environment at \(ortPython); benchmarks/install-python-peers.sh makes it)")
}
print("\ncase                         swift ms   torch ms  swift/torch     ORT ms   swift/ORT")
for key in ["forward.t1.b1", "forward.t1.b32", "forward.t2.b1", "forward.t2.b32", "train.t2.b32"] {
    guard let s = results["swift.\(key)"] else { continue }
    var line = key.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: " %10.2f", s)
    if let t = peers["torch.\(key)"] { line += String(format: " %10.2f %12.2f", t, s / t) } else { line += String(repeating: " ", count: 24) }
    if let o = peers["ort.\(key)"] { line += String(format: " %10.2f %11.2f", o, s / o) }
    print(line)
}
if let o = peers["ort.forward1000.t2"] { print(String(format: "ONNX Runtime, 1000 forward passes at 2 threads (batches of 16): %.2f s", o)) }
if let rss = peers["torch.train.peakRSS"] { print(String(format: "peak RSS training: swift %.0f MiB, torch %.0f MiB", results["swift.train.peakRSS"]!, rss)) }
