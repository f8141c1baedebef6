import Foundation
import Preprocess
import TensorEngine

/// A model file with everything downstream needs: the weights, the input preprocessing, the class list
/// (views with their DICOM terms), the calibration temperature, the operating threshold chosen on
/// cross-validation and the content check. `classify`, `explain`, `evaluate` and `process` read it;
/// nothing else names the classes, so a model with other classes needs no code change.
public struct ModelFile: Sendable {
    public var path: String
    /// The network, or the networks of an ensemble (their logits averaged).
    public var network: Ensemble
    public var options: NetworkInputOptions
    public var sha256: String
    public var name: String
    /// The views in output order.
    public var views: [RadiographView]
    /// Probabilities are softmax(logits / temperature) (1 for a model trained before calibration existed).
    public var temperature: Double
    /// The probability the frontal classes together need for "frontal, AP/PA uncertain", and the one a view
    /// of a class without its own threshold needs, when the user gives none.
    public var threshold: Double
    /// Per class name, the probability a view of that class needs to be written (chosen per predicted class
    /// on cross-validation), when the user gives no threshold.
    public var classThresholds: [String: Double]
    /// nil for a model file without one: every image whose header cannot tell is then refused.
    public var contentCheck: ContentCheck?
    /// The feature probe mixed into the decision, if the model was trained with one (`train --probe-share`).
    public var probe: FeatureProbe?

    /// The temperature of the networks' own logits (what Grad-CAM and LIME explain): the model's, or, with a
    /// probe, the one fitted to the networks alone before the mix.
    public var networkTemperature: Double { probe?.networkTemperature ?? temperature }

    /// What the decision is made of, in words (the report's run parameters).
    public var decisionSummary: String {
        let networks = network.members.count == 1 ? "the network" : "\(network.members.count) networks (logits averaged)"
        guard let probe else { return "\(networks); the maps explain it" }
        return String(format: "%@ × %.2f and a feature probe (the first network's fire6 and fire9 at %@ px, pooled; logistic regression) × %.2f, "
                      + "as calibrated log-probabilities; Grad-CAM, LIME and occlusion explain the networks' part, "
                      + "method probe the probe's", networks, 1 - probe.share,
                      probe.sizes.map(String.init).joined(separator: " and "), probe.share)
    }

    /// What each part of a mixed decision says (nil without a probe or its features).
    public func decisionParts(network: ArraySlice<Float>, probeFeatures: [Float]?) -> ViewDecision.Parts? {
        guard let probe, let probeFeatures else { return nil }
        func named(_ p: [Float]) -> [String: Double] { Dictionary(uniqueKeysWithValues: zip(views.map(\.name), p.map(Double.init))) }
        return ViewDecision.Parts(
            networks: named(Calibration.probabilities(logits: Array(network), classes: views.count, temperature: probe.networkTemperature)),
            probe: named(Calibration.probabilities(logits: probe.logits(features: probeFeatures), classes: views.count,
                                                   temperature: probe.probeTemperature)))
    }

    /// The logits the decision policy applies the temperature and thresholds to: the networks' own, or their
    /// mix with the probe's when the model has one (`probeFeatures` nil: the networks' alone, calibrated).
    public func decisionLogits(network: ArraySlice<Float>, probeFeatures: [Float]?) -> ArraySlice<Float> {
        guard let probe else { return network }
        return probe.decisionLogits(network: network, probeFeatures: probeFeatures)[...]
    }

    /// The threshold of a model file that carries none.
    public static let fallbackThreshold = 0.9

    public enum LoadError: Error, CustomStringConvertible {
        case malformed(file: String, reason: String)
        public var description: String {
            switch self { case .malformed(let f, let r): return "\(f): \(r)" }
        }
    }

    public init(path: String) throws {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let size = Int(metadata["input_size"] ?? "") ?? 227
        let fit = NetworkInputOptions.Fit(rawValue: metadata["fit"] ?? "") ?? .pad
        guard let tone = NetworkInputOptions.Tone(rawValue: metadata["tone"] ?? NetworkInputOptions.Tone.asRead.rawValue) else {
            throw LoadError.malformed(file: path, reason: "metadata 'tone' is neither "
                + NetworkInputOptions.Tone.allCases.map { "'\($0.rawValue)'" }.joined(separator: " nor "))
        }
        views = try Self.views(metadata: metadata, file: path)
        let architecture = SqueezeNetArchitecture(classes: views.count, inputSize: size)
        guard let count = Int(metadata["members"] ?? "1"), (1...16).contains(count) else {
            throw LoadError.malformed(file: path, reason: "metadata 'members' is not a count from 1 to 16")
        }
        network = Ensemble(try (0..<count).map { m in
            let net = SqueezeNet(architecture: architecture)
            try net.load(Self.memberTensors(tensors, member: m), file: path)
            return net
        })
        options = NetworkInputOptions(size: size, fit: fit, tone: tone)
        sha256 = try Digest.sha256Hex(ofFileAt: path)
        name = metadata["name"] ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        temperature = Double(metadata["temperature"] ?? "") ?? 1
        threshold = Double(metadata["threshold"] ?? "") ?? Self.fallbackThreshold
        classThresholds = [:]
        if let json = metadata["thresholds"] {
            do { classThresholds = try JSONDecoder().decode([String: Double].self, from: Data(json.utf8)) } catch {
                throw LoadError.malformed(file: path, reason: "metadata 'thresholds' is not a map of class names to probabilities")
            }
        }
        if let mean = tensors["content_check.mean"], let precision = tensors["content_check.precision"],
           let limit = Double(metadata["content_check.limit"] ?? "") {
            contentCheck = ContentCheck(mean: mean.values, precision: precision.values, limit: limit)
        }
        if metadata["probe.sizes"] != nil {
            probe = try Self.probe(tensors: tensors, metadata: metadata, backbone: network.members[0], classes: views.count, file: path)
        }
        self.path = path
    }

    /// The class list: `views` (JSON, each class with its ViewPosition, SNOMED CT code and family) or, in
    /// older files, `classes` names looked up among the known views (default PA, L).
    static func views(metadata: [String: String], file: String) throws -> [RadiographView] {
        if let json = metadata["views"] {
            do { return try JSONDecoder().decode([RadiographView].self, from: Data(json.utf8)) } catch {
                throw LoadError.malformed(file: file, reason: "metadata 'views' is not a list of views (\(error))")
            }
        }
        let names = (metadata["classes"] ?? "PA,L").split(separator: ",").map(String.init)
        return try names.map { name in
            guard let v = RadiographView.known.first(where: { $0.name == name }) else {
                throw LoadError.malformed(file: file, reason: "class '\(name)' is neither a known view nor defined in metadata 'views'")
            }
            return v
        }
    }

    /// The output index of a class given by name (PA, AP, L) or by any spelling a header uses (LATERAL, LL).
    public func classIndex(named name: String) -> Int? {
        if let i = views.firstIndex(where: { $0.name.uppercased() == name.uppercased() }) { return i }
        guard let v = RadiographView(label: name) else { return nil }
        return views.firstIndex { $0.sameView(as: v) }
    }

    /// What a trained model file records besides its tensors.
    public static func metadata(name: String, config: TrainingConfig, temperature: Double, threshold: Double,
                                classThresholds: [String: Double] = [:], contentLimit: Double?) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var m = ["format": "cxr-explain", "name": name, "classes": config.classes.map(\.name).joined(separator: ","),
                 "views": String(decoding: try! encoder.encode(config.classes), as: UTF8.self),
                 "input_size": String(config.inputSize), "fit": config.fit, "architecture": "squeezenet1_1",
                 "temperature": String(temperature), "threshold": String(threshold)]
        if let tone = config.tone { m["tone"] = tone }
        if let contentLimit { m["content_check.limit"] = String(contentLimit) }
        if !classThresholds.isEmpty { m["thresholds"] = String(decoding: try! encoder.encode(classThresholds), as: UTF8.self) }
        return m
    }

    /// Member 0's tensors carry the network's own names (a file of one network is a plain SqueezeNet file);
    /// member m's are prefixed "member<m>.".
    static func memberPrefix(_ m: Int) -> String { m == 0 ? "" : "member\(m)." }

    static func memberTensors(_ tensors: [String: SafeTensors.Tensor], member m: Int) -> [String: SafeTensors.Tensor] {
        guard m > 0 else { return tensors }
        let prefix = memberPrefix(m)
        return Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
    }

    /// Writes a trained model: every member's weights, `metadata` (with the member count) and `extra` tensors.
    public static func save(_ model: Ensemble, path: String, metadata: [String: String], extra: [String: SafeTensors.Tensor]) throws {
        var tensors = extra
        for (m, member) in model.members.enumerated() {
            for (name, t) in member.tensors { tensors[memberPrefix(m) + name] = t }
        }
        var metadata = metadata
        if model.members.count > 1 { metadata["members"] = String(model.members.count) }
        try SafeTensors.write(path: path, tensors: tensors, metadata: metadata)
    }

    /// The feature probe of a model file: the linear probe and the mix, on the first network's features.
    static func probe(tensors: [String: SafeTensors.Tensor], metadata: [String: String], backbone: SqueezeNet, classes: Int,
                      file: String) throws -> FeatureProbe {
        func fail(_ reason: String) -> LoadError { .malformed(file: file, reason: reason) }
        let sizes = (metadata["probe.sizes"] ?? "").split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ (64...1024).contains($0) }) else { throw fail("metadata 'probe.sizes' is not a list of input sides") }
        guard let share = Double(metadata["probe.share"] ?? ""), (0...1).contains(share),
              let networkT = Double(metadata["probe.network_temperature"] ?? ""), networkT > 0,
              let probeT = Double(metadata["probe.temperature"] ?? ""), probeT > 0 else {
            throw fail("metadata 'probe.share', 'probe.network_temperature' or 'probe.temperature' is missing or out of range")
        }
        let width = sizes.count * SqueezeNet.pooledTapWidth
        guard let mean = tensors["probe.mean"], let scale = tensors["probe.scale"], let weight = tensors["probe.weight"],
              let bias = tensors["probe.bias"], mean.shape == [width], scale.shape == [width], weight.shape == [classes, width],
              bias.shape == [classes] else {
            throw fail("the probe's tensors are missing or not of \(classes) classes × \(width) features")
        }
        let linear = LinearProbe(mean: mean.values, scale: scale.values, weight: weight.values, bias: bias.values,
                                 lambda: Double(metadata["probe.lambda"] ?? "") ?? 0)
        return FeatureProbe(backbone: backbone, sizes: sizes, linear: linear, share: share, networkTemperature: networkT, probeTemperature: probeT)
    }

    /// A probe's tensors and metadata, to save beside the networks' (its features come from the first network's weights).
    public static func saved(_ probe: FeatureProbe) -> (tensors: [String: SafeTensors.Tensor], metadata: [String: String]) {
        let tensors: [String: SafeTensors.Tensor] = [
            "probe.mean": .init(shape: [probe.linear.dimension], values: probe.linear.mean),
            "probe.scale": .init(shape: [probe.linear.dimension], values: probe.linear.scale),
            "probe.weight": .init(shape: [probe.linear.classes, probe.linear.dimension], values: probe.linear.weight),
            "probe.bias": .init(shape: [probe.linear.classes], values: probe.linear.bias)]
        let metadata = ["probe.backbone": "member0","probe.sizes": probe.sizes.map(String.init).joined(separator: ","), "probe.share": String(probe.share),
                        "probe.network_temperature": String(probe.networkTemperature), "probe.temperature": String(probe.probeTemperature),
                        "probe.lambda": String(probe.linear.lambda)]
        return (tensors, metadata)
    }

    /// The content check's tensors, to save beside the network's.
    public static func tensors(of check: ContentCheck) -> [String: SafeTensors.Tensor] {
        ["content_check.mean": .init(shape: [check.dimension], values: check.mean),
         "content_check.precision": .init(shape: [check.dimension, check.dimension], values: check.precision)]
    }
}
