import Classifier
import TensorEngine
import Explain
import Foundation
import Preprocess

/// `cxr-bench --explain [--image PATH] [--model PATH]`: Grad-CAM ms/image and LIME s/image (1000 samples)
/// against pytorch-grad-cam and lime on the same weights and input, in the same run. The comparison is one
/// network on each side (an ensemble's first member; the peers load only it); the whole ensemble is timed too, and
/// a model's feature-probe map.
func runExplainBenchmark(root: URL, repeats: Int) throws {
    func argument(_ name: String) -> String? {
        CommandLine.arguments.firstIndex(of: name).flatMap { $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil }
    }
    let modelPath = argument("--model") ?? root.appendingPathComponent("sample-data/models/cxr-views-squeezenet.safetensors").path
    let imagePath = argument("--image") ?? root.appendingPathComponent("../shared/data/dicom/chest_CR_PA_RG1_JLSN.dcm").standardized.path
    let samples = Int(argument("--samples") ?? "") ?? 1000
    let model = try ModelFile(path: modelPath)
    let input = NetworkInput(radiograph: try RadiographLoader.load(path: imagePath), options: model.options)
    let network = Ensemble(model.network.members[0])
    let mapper = ClassActivationMapper(network: network)
    let target = mapper.maps(input: input.values, methods: [.gradCAM])[.gradCAM]!.targetClass
    print("cxr-bench --explain: \(imagePath), model \(modelPath), class \(target)")
    let gradcam = median(repeats * 3) { _ = mapper.maps(input: input.values, methods: [.gradCAM], targetClass: target) }
    print(String(format: "swift Grad-CAM (fire9, logit): %.2f ms", gradcam * 1000))
    let lime = LIMEExplainer(samples: samples)
    let t0 = now()
    _ = lime.explain(network: network, gray: input.gray, options: model.options, targetClass: target)
    let limeSeconds = now() - t0
    print(String(format: "swift LIME (%d samples): %.2f s", samples, limeSeconds))
    if model.network.members.count > 1 {
        let whole = ClassActivationMapper(network: model.network)
        let wholeGradCAM = median(repeats * 3) { _ = whole.maps(input: input.values, methods: [.gradCAM], targetClass: target) }
        let t1 = now()
        _ = lime.explain(network: model.network, gray: input.gray, options: model.options, targetClass: target)
        print(String(format: "swift, the model's whole ensemble of %d networks: Grad-CAM %.2f ms, LIME %.2f s", model.network.members.count,
                     wholeGradCAM * 1000, now() - t1))
    }
    if let probe = model.probe {
        // No peer offers it: the probe's two passes at its sizes with the tapped maps kept, the split, the display.
        let radiograph = try RadiographLoader.load(path: imagePath), mapper = ProbeMapper(probe: probe)
        let seconds = median(repeats) { _ = mapper.map(radiograph: radiograph, options: model.options, targetClass: target) }
        print(String(format: "swift feature-probe map (%@ px): %.2f ms", probe.sizes.map(String.init).joined(separator: ", "), seconds * 1000))
    }

    let gray = FileManager.default.temporaryDirectory.appendingPathComponent("cxr-bench-gray-\(getpid()).npy").path
    try NPY.write(input.gray, shape: [model.options.size, model.options.size], to: gray)
    defer { try? FileManager.default.removeItem(atPath: gray) }
    let python = try runPythonPeer([root.appendingPathComponent("benchmarks/python_explain.py").path, modelPath, gray, String(target),
                                    String(repeats * 3), String(samples)], echoOthers: true)
    guard let pg = python["python.gradcam.ms"], let pl = python["python.lime.s"] else {
        print("python: not measured (pip install grad-cam lime for /usr/bin/python3)"); return
    }
    print("\ncase                 swift       python     ratio (swift/python)")
    print(String(format: "Grad-CAM ms      %9.2f    %9.2f    %6.2f", gradcam * 1000, pg, gradcam * 1000 / pg))
    print(String(format: "LIME s           %9.2f    %9.2f    %6.2f", limeSeconds, pl, limeSeconds / pl))
}
