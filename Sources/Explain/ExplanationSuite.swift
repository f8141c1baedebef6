import Classifier
import TensorEngine
import Foundation
import Preprocess

/// Every explanation method the product offers.
public enum ExplanationMethod: String, Sendable, CaseIterable, Codable, Hashable {
    case gradcam, gradcampp = "gradcam++", hirescam, layercam, lime, occlusion
    /// The feature probe's evidence (`ProbeMapper`); only for a model with a probe.
    case probe

    public var cam: CAMMethod? { CAMMethod(rawValue: rawValue) }
    public init(cam: CAMMethod) { self = ExplanationMethod(rawValue: cam.rawValue)! }

    /// A name safe in file names ("gradcam++" → "gradcampp").
    public var fileName: String { rawValue.replacingOccurrences(of: "+", with: "p") }

    public var displayName: String {
        switch self {
        case .gradcam: "Grad-CAM"
        case .gradcampp: "Grad-CAM++"
        case .hirescam: "HiResCAM"
        case .layercam: "LayerCAM"
        case .lime: "LIME"
        case .occlusion: "Occlusion sensitivity"
        case .probe: "Feature-probe map"
        }
    }
}

/// One method's result for one image.
public struct Explanation: Sendable {
    public var method: ExplanationMethod
    /// In [0, 1] at the network input's resolution, for display and thresholds.
    public var map: SaliencyMap
    /// The method's own numbers per pixel: CAM maps as `map`, occlusion score differences, LIME weights.
    public var raw: [Float]
    /// LIME only: segments and superpixel weights.
    public var lime: LIMEExplainer.Explanation?
    public var seconds: Double

    public init(method: ExplanationMethod, map: SaliencyMap, raw: [Float], lime: LIMEExplainer.Explanation? = nil, seconds: Double) {
        self.method = method; self.map = map; self.raw = raw; self.lime = lime; self.seconds = seconds
    }
}

/// The methods with their settings, run on one network input; the single entry point the commands use.
public struct ExplanationSuite: Sendable {
    public var layer: CAMLayer = .fire9
    public var target: CAMTarget = .logit
    public var lime = LIMEExplainer()
    public var occlusion = OcclusionSensitivity()

    public init() {}

    /// Parameters as strings, for reports and DICOM derivation descriptions.
    public func parameters(_ method: ExplanationMethod) -> [String: String] {
        switch method {
        case .gradcam, .gradcampp, .hirescam, .layercam:
            return ["layer": layer.rawValue, "target": target.rawValue]
        case .lime:
            return ["samples": "\(lime.samples)", "segments": "\(lime.slic.segments)", "compactness": "\(lime.slic.compactness)",
                    "kernelWidth": "\(lime.kernelWidth)", "seed": "\(lime.seed)"]
        case .occlusion:
            return ["maskSize": "\(occlusion.maskSize)", "stride": "\(occlusion.stride)",
                    "maskValue": occlusion.maskValue.map { "\($0)" } ?? "mean"]
        case .probe:
            return ["layers": "fire6+fire9", "target": target.rawValue]
        }
    }

    public func summary(_ method: ExplanationMethod) -> String {
        "\(method.displayName) (" + parameters(method).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }

    public enum Failure: Error, CustomStringConvertible, Sendable, Equatable {
        case singularRidge
        case noProbe
        public var description: String {
            switch self {
            case .singularRidge: "LIME's ridge system is singular"
            case .noProbe: "the model has no feature probe to map (method probe needs a model trained with --probe-share)"
            }
        }
    }

    /// Runs `methods` on `input`; `targetClass` defaults to the predicted class. The probe's map needs the model's
    /// `probe` and the `radiograph` the input was made from (it runs at the probe's own sizes).
    public func explain(network: Ensemble, input: NetworkInput, options: NetworkInputOptions, methods: [ExplanationMethod],
                        targetClass: Int? = nil, probe: FeatureProbe? = nil,
                        radiograph: Radiograph? = nil) throws(Failure) -> [ExplanationMethod: Explanation] {
        let size = options.size
        var out: [ExplanationMethod: Explanation] = [:]
        let cams = methods.compactMap(\.cam)
        if !cams.isEmpty {
            let started = Date()
            let maps = ClassActivationMapper(network: network).maps(input: input.values, methods: cams, layer: layer, target: target,
                                                                    targetClass: targetClass)
            let seconds = Date().timeIntervalSince(started)
            for (m, map) in maps { out[ExplanationMethod(cam: m)] = Explanation(method: .init(cam: m), map: map, raw: map.values, seconds: seconds) }
        }
        if methods.contains(.occlusion) {
            let started = Date()
            let (raw, c, p) = occlusion.map(network: network, gray: input.gray, options: options, targetClass: targetClass)
            out[.occlusion] = Explanation(method: .occlusion, map: SaliencyMap(raw: raw, width: size, height: size, targetClass: c, probabilities: p),
                                          raw: raw, seconds: Date().timeIntervalSince(started))
        }
        if methods.contains(.lime) {
            let started = Date()
            guard let e = lime.explain(network: network, gray: input.gray, options: options, targetClass: targetClass) else {
                throw .singularRidge
            }
            out[.lime] = Explanation(method: .lime, map: SaliencyMap(raw: e.map, width: size, height: size, targetClass: e.targetClass,
                                                                     probabilities: e.probabilities),
                                     raw: e.map, lime: e, seconds: Date().timeIntervalSince(started))
        }
        if methods.contains(.probe) {
            guard let probe, let radiograph else { throw .noProbe }
            let started = Date()
            let (map, raw) = ProbeMapper(probe: probe).map(radiograph: radiograph, options: options, target: target, targetClass: targetClass)
            out[.probe] = Explanation(method: .probe, map: map, raw: raw, seconds: Date().timeIntervalSince(started))
        }
        return out
    }
}
