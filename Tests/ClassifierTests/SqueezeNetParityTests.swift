import Classifier
import TensorEngine
import TestSupport
import Testing

/// The whole network against torchvision's squeezenet1_1 on the same weights (scripts/make-reference.py).
struct SqueezeNetParityTests {
    static let t = try! Fixtures.load("squeezenet")
    static let arch = SqueezeNetArchitecture(classes: 2, inputSize: 101)

    func makeNet() throws -> SqueezeNet {
        let net = SqueezeNet(architecture: Self.arch)
        var weights: [String: SafeTensors.Tensor] = [:]
        for (k, v) in Self.t where k.hasPrefix("weights.") { weights[String(k.dropFirst("weights.".count))] = v }
        #expect(weights.count == 52)
        try net.load(weights, file: "squeezenet.safetensors")
        return net
    }

    func expectClose(_ name: String, _ actual: [Float], _ expected: [Float]) {
        let cmp = TensorComparison(name, actual: actual, expected: expected)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test("logits and fire9 activations match torch")
    func forward() throws {
        let net = try makeNet(), ws = net.makeWorkspace(batch: 2)
        #expect(Self.arch.featureSize == 6)
        let logits = net.forward(ws, input: Self.t["input"]!.values)
        expectClose("logits", logits, Self.t["logits"]!.values)
        expectClose("fire9", ws.featureMaps, Self.t["fire9"]!.values)
    }

    @Test("the feature probe's input (fire6 and fire9, mean- and max-pooled) matches torch")
    func pooledTaps() throws {
        let net = try makeNet(), ws = net.makeWorkspace(batch: 2)
        #expect(SqueezeNet.pooledTapWidth == 1792)
        expectClose("pooled fire6 and fire9", net.pooledTaps(ws, input: Self.t["input"]!.values), Self.t["pooled_fire6_fire9"]!.values)
        // One image at a time: the blocked pipeline (where this CPU has one), each image against its half.
        let single = net.makeWorkspace(batch: 1), plane = 3 * Self.arch.inputSize * Self.arch.inputSize, width = SqueezeNet.pooledTapWidth
        for b in 0..<2 {
            let taps = net.pooledTaps(single, input: Array(Self.t["input"]!.values[(b * plane)..<((b + 1) * plane)]))
            expectClose("pooled, image \(b) alone", taps, Array(Self.t["pooled_fire6_fire9"]!.values[(b * width)..<((b + 1) * width)]))
        }
    }

    @Test("the inference path (oneDNN blocked convolutions, fixed weights) matches torch, and its Grad-CAM gradient too")
    func blockedInference() throws {
        let net = try makeNet(), ws = net.makeWorkspace(batch: 2, fixedWeights: true)
        let logits = net.forward(ws, input: Self.t["input"]!.values)
        expectClose("logits", logits, Self.t["logits"]!.values)
        expectClose("fire9", ws.featureMaps, Self.t["fire9"]!.values)
        net.backward(ws, dlogits: [0, 1, 0, 1], gradients: nil, stopAtFeatures: true)
        expectClose("d fire9 (stop at features)", ws.featureGradients, Self.t["d_logit1.fire9"]!.values)
        // The same image alone or beside another gives the same bits (each image is its own pass).
        let single = net.makeWorkspace(batch: 1, fixedWeights: true), plane = 3 * Self.arch.inputSize * Self.arch.inputSize
        let second = net.forward(single, input: Array(Self.t["input"]!.values[plane...]))
        #expect(second == Array(logits[2...]))
    }

    @Test("the gradient of a logit w.r.t. the fire9 output and conv1's weights match torch")
    func logitGradients() throws {
        let net = try makeNet(), ws = net.makeWorkspace(batch: 2)
        net.forward(ws, input: Self.t["input"]!.values)
        let dlogits: [Float] = [0, 1, 0, 1]  // d(Σ_n logit[n, 1])
        net.backward(ws, dlogits: dlogits, gradients: nil, stopAtFeatures: true)
        expectClose("d fire9 (stop at features)", ws.featureGradients, Self.t["d_logit1.fire9"]!.values)
        let grads = FloatBuffer(count: net.layout.total)
        net.backward(ws, dlogits: dlogits, gradients: grads)
        expectClose("d fire9", ws.featureGradients, Self.t["d_logit1.fire9"]!.values)
        let e = net.layout.entry("features.0.weight")!
        expectClose("d conv1.weight", Array(grads.array[e.offset..<(e.offset + e.count)]), Self.t["d_logit1.features.0.weight"]!.values)
    }

    @Test("weighted loss, parameter gradients and one AdamW step match torch")
    func lossGradientsAndStep() throws {
        let net = try makeNet(), ws = net.makeWorkspace(batch: 2)
        let logits = net.forward(ws, input: Self.t["input"]!.values)
        let (loss, dlogits) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: [0, 1], classes: 2,
                                                                   weights: Self.t["loss_class_weights"]!.values)
        expectClose("loss", [loss], Self.t["loss"]!.values)
        let grads = FloatBuffer(count: net.layout.total)
        net.backward(ws, dlogits: dlogits, gradients: grads)
        var adam = AdamW(parameterCount: net.layout.total, weightDecay: 0.01)
        adam.step(parameters: net.parameters, gradients: grads, learningRate: 1e-3)
        for (key, _) in Self.t where key.hasPrefix("grad.") {
            let name = String(key.dropFirst("grad.".count)), e = net.layout.entry(name)!
            expectClose(key, Array(grads.array[e.offset..<(e.offset + e.count)]), Self.t[key]!.values)
            expectClose("adamw.\(name)", Array(net.parameters.array[e.offset..<(e.offset + e.count)]), Self.t["adamw.\(name)"]!.values)
        }
    }

    @Test("at 227 the fire9 output is 14x14 (MATLAB's size) and at 224 13x13 (torchvision's)")
    func featureSizes() {
        #expect(SqueezeNetArchitecture(inputSize: 227).featureSize == 14)
        #expect(SqueezeNetArchitecture(inputSize: 224).featureSize == 13)
    }
}

struct SafeTensorsTests {
    @Test("F16 conversion is exact for representable values and rounds to nearest even")
    func half() {
        for v: Float in [0, 1, -2, 0.5, 65504, 6.1035156e-05, 5.9604645e-08, 0.333251953125] {
            #expect(SafeTensors.halfToFloat(SafeTensors.floatToHalf(v)) == v, "\(v)")
        }
        #expect(SafeTensors.floatToHalf(1 + 0x1p-11) == 0x3C00)  // halfway, rounds to even
        #expect(SafeTensors.floatToHalf(1 + 0x1p-11 + 0x1p-20) == 0x3C01)
        #expect(SafeTensors.halfToFloat(0x7C00) == .infinity)
    }

    @Test("write then read gives the same tensors and metadata; BF16 reads")
    func roundTrip() throws {
        let dir = TestPaths.temporaryDirectory("st")
        let path = dir.appendingPathComponent("m.safetensors").path
        let tensors = ["a.weight": SafeTensors.Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, -6.25]),
                       "b": SafeTensors.Tensor(shape: [1], values: [0.1])]
        try SafeTensors.write(path: path, tensors: tensors, metadata: ["seed": "7"])
        let (read, meta) = try SafeTensors.read(path: path)
        #expect(read == tensors)
        #expect(meta == ["seed": "7"])
        // A hand-made BF16 file: header {"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}.
        let header = Array(#"{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#.utf8)
        var bytes: [UInt8] = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xFF) } + header
        bytes += [0x80, 0x3F, 0x40, 0xC0]  // 1.0, -3.0
        #expect(try SafeTensors.parse(bytes, name: "bf16").tensors["x"]!.values == [1, -3])
    }

    @Test("malformed files are errors naming the file")
    func malformed() {
        #expect(throws: SafeTensors.Failure.self) { try SafeTensors.parse([1, 2, 3], name: "short") }
        #expect(throws: SafeTensors.Failure.self) { try SafeTensors.parse([255, 255, 0, 0, 0, 0, 0, 0, 0], name: "big") }
    }
}
