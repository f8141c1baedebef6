import Foundation

extension SqueezeNet {
    public enum WeightsError: Error, CustomStringConvertible, Sendable {
        case missing(file: String, tensor: String)
        case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])

        public var description: String {
            switch self {
            case .missing(let f, let t): return "\(f): tensor '\(t)' is missing"
            case .shapeMismatch(let f, let t, let e, let s): return "\(f): tensor '\(t)' has shape \(s), expected \(e)"
            }
        }
    }

    /// He (Kaiming) initialisation as torchvision's SqueezeNet: uniform ±√(6 / fan_in) for every
    /// convolution but the last, which is N(0, 0.01); biases zero.
    public func initialise(seed: UInt64) {
        defer { blockedPool.weightsChanged() }
        var rng = SplitMix64(seed: seed)
        for e in layout.entries {
            if e.name.hasPrefix("classifier.1") {
                if e.name.hasSuffix(".weight") { initialiseHead(seed: seed) }
                continue
            }
            initialise(e, rng: &rng)
        }
    }

    /// Re-draws every parameter whose name starts with `prefix` + "." from the initial distribution
    /// (the model-randomisation check of Adebayo et al. randomises one stage after another).
    public func randomise(stage prefix: String, seed: UInt64) {
        defer { blockedPool.weightsChanged() }
        var rng = SplitMix64(seed: seed)
        for e in layout.entries where e.name.hasPrefix(prefix + ".") {
            if e.name.hasPrefix("classifier.1") && e.name.hasSuffix(".weight") {
                for i in 0..<e.count { parameters.pointer[e.offset + i] = 0.01 * Self.normal(&rng) }
            } else {
                initialise(e, rng: &rng)
            }
        }
    }

    /// A copy with its own parameters.
    public func copy() -> SqueezeNet {
        SqueezeNet(architecture: architecture, parameters: FloatBuffer(parameters.array))
    }

    /// The element-wise mean of networks of one architecture (a weight soup), summed in member order in
    /// double precision.
    public static func average(_ members: [SqueezeNet]) -> SqueezeNet {
        precondition(!members.isEmpty && members.allSatisfy { $0.architecture == members[0].architecture }, "averaging needs networks of one architecture")
        let out = SqueezeNet(architecture: members[0].architecture)
        for i in 0..<out.layout.total {
            var sum = 0.0
            for member in members { sum += Double(member.parameters.pointer[i]) }
            out.parameters.pointer[i] = Float(sum / Double(members.count))
        }
        return out
    }

    /// The parameter stages from the output down: conv10, fire9 … fire2, conv1.
    public var stagesFromOutput: [String] {
        ["classifier.1"] + SqueezeNetArchitecture.fires.reversed().map { "features.\($0.index)" } + ["features.0"]
    }

    private func initialise(_ e: ParameterLayout.Entry, rng: inout SplitMix64) {
        let ptr = parameters.pointer + e.offset
        if e.name.hasSuffix(".bias") { ptr.update(repeating: 0, count: e.count); return }
        let fanIn = e.shape.dropFirst().reduce(1, *)
        let bound = (6 / Float(fanIn)).squareRoot()
        for i in 0..<e.count { ptr[i] = Float.random(in: -bound...bound, using: &rng) }
    }

    /// A fresh classification head (classifier.1): N(0, 0.01) weights, zero bias.
    public func initialiseHead(seed: UInt64) {
        defer { blockedPool.weightsChanged() }
        var rng = SplitMix64(seed: seed ^ 0xC1A5_51F1)
        let w = layout.entry("classifier.1.weight")!, b = layout.entry("classifier.1.bias")!
        for i in 0..<w.count { parameters.pointer[w.offset + i] = 0.01 * Self.normal(&rng) }
        (parameters.pointer + b.offset).update(repeating: 0, count: b.count)
    }

    public static func normal(_ rng: inout SplitMix64) -> Float {
        // Box–Muller.
        let u1 = max(Double(rng.next() >> 11) * 0x1p-53, 1e-300), u2 = Double(rng.next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Copies tensors by torchvision name. With `replaceHead`, a classifier of another class count
    /// (ImageNet's 1000) is replaced by a fresh head for fine-tuning.
    public func load(_ tensors: [String: SafeTensors.Tensor], file: String, replaceHead: Bool = false, seed: UInt64 = 0) throws {
        defer { blockedPool.weightsChanged() }
        for e in layout.entries {
            let isHead = e.name.hasPrefix("classifier.1")
            guard let t = tensors[e.name] else {
                if isHead && replaceHead { continue }
                throw WeightsError.missing(file: file, tensor: e.name)
            }
            if t.shape != e.shape {
                if isHead && replaceHead { continue }
                throw WeightsError.shapeMismatch(file: file, tensor: e.name, expected: e.shape, found: t.shape)
            }
            t.values.withUnsafeBufferPointer { (parameters.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
        if replaceHead, tensors["classifier.1.weight"]?.shape != layout.entry("classifier.1.weight")!.shape {
            initialiseHead(seed: seed)
        }
    }

    /// Loads a model file whose head matches `classes`.
    public static func load(path: String, classes: Int = 2, inputSize: Int = 227) throws -> (SqueezeNet, [String: String]) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: classes, inputSize: inputSize))
        try net.load(tensors, file: path)
        return (net, metadata)
    }

    /// All parameters as named tensors.
    public var tensors: [String: SafeTensors.Tensor] {
        var out: [String: SafeTensors.Tensor] = [:]
        for e in layout.entries {
            out[e.name] = SafeTensors.Tensor(shape: e.shape, values: Array(UnsafeBufferPointer(start: parameters.pointer + e.offset, count: e.count)))
        }
        return out
    }

    /// Writes the parameters, with `extra` tensors a model file carries beside them.
    public func save(path: String, metadata: [String: String] = [:], extra: [String: SafeTensors.Tensor] = [:]) throws {
        try SafeTensors.write(path: path, tensors: tensors.merging(extra) { a, _ in a }, metadata: metadata)
    }
}
