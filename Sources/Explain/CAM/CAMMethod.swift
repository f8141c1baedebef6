import Classifier
import TensorEngine
import Preprocess

/// Which layer a class-activation map is taken at.
public enum CAMLayer: String, Sendable, CaseIterable, Codable {
    /// The fire9 output (features.12): 512 channels, 14×14 at 227.
    case fire9
    /// ReLU(conv10): one channel per class (MATLAB's `relu_conv10`). Grad-CAM here equals CAM.
    case reluConv10 = "relu_conv10"
}

/// What the gradient is taken of.
public enum CAMTarget: String, Sendable, CaseIterable, Codable {
    /// The class logit (default): a softmax target saturates for confident images and gives zero maps.
    case logit
    /// The class probability after softmax.
    case softmax
}

/// The Grad-CAM family. They share capture, target, ReLU, upsampling and scaling (`ClassActivationMapper`);
/// each differs only in how activations A and gradients G of one image combine into a map.
public enum CAMMethod: String, Sendable, CaseIterable, Codable {
    case gradCAM = "gradcam"
    case gradCAMPlusPlus = "gradcam++"
    case hiResCAM = "hirescam"
    case layerCAM = "layercam"

    /// A (K, h·w) and G (K, h·w) → map (h·w), before ReLU.
    public func combine(activations a: [Float], gradients g: [Float], channels k: Int, area: Int) -> [Float] {
        var cam = [Float](repeating: 0, count: area)
        switch self {
        case .gradCAM:
            // Selvaraju et al.: α_k = mean_ij ∂y/∂A_k,ij; map = Σ_k α_k A_k.
            for c in 0..<k {
                var mean: Float = 0
                for i in 0..<area { mean += g[c * area + i] }
                mean /= Float(area)
                for i in 0..<area { cam[i] += mean * a[c * area + i] }
            }
        case .gradCAMPlusPlus:
            // Chattopadhay et al., eq. 19, as pytorch-grad-cam: α = g² / (2g² + Σ_ij A · g³), weights = Σ_ij α·ReLU(g).
            for c in 0..<k {
                var sumA: Float = 0
                for i in 0..<area { sumA += a[c * area + i] }
                var weight: Float = 0
                for i in 0..<area {
                    let gi = g[c * area + i]
                    guard gi != 0 else { continue }
                    let g2 = gi * gi, g3 = g2 * gi
                    let alpha = g2 / (2 * g2 + sumA * g3 + 1e-7)
                    weight += alpha * max(gi, 0)
                }
                for i in 0..<area { cam[i] += weight * a[c * area + i] }
            }
        case .hiResCAM:
            // Draelos & Carin: element-wise Σ_k G_k ⊙ A_k.
            for c in 0..<k { for i in 0..<area { cam[i] += g[c * area + i] * a[c * area + i] } }
        case .layerCAM:
            // Jiang et al.: Σ_k ReLU(G_k) ⊙ A_k.
            for c in 0..<k { for i in 0..<area { cam[i] += max(g[c * area + i], 0) * a[c * area + i] } }
        }
        return cam
    }
}

/// A saliency map at the network input's resolution, in [0, 1].
public struct SaliencyMap: Sendable {
    public var width: Int
    public var height: Int
    public var values: [Float]
    public var predictedClass: Int
    public var targetClass: Int
    public var probabilities: [Float]

    public init(width: Int, height: Int, values: [Float], predictedClass: Int, targetClass: Int, probabilities: [Float]) {
        self.width = width; self.height = height; self.values = values
        self.predictedClass = predictedClass; self.targetClass = targetClass; self.probabilities = probabilities
    }

    /// A map from raw scores (occlusion differences, LIME weights), min-max scaled to [0, 1] for display.
    public init(raw: [Float], width: Int, height: Int, targetClass: Int, probabilities: [Float]) {
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        self.init(width: width, height: height, values: Self.minMaxScaled(raw), predictedClass: predicted,
                  targetClass: targetClass, probabilities: probabilities)
    }

    /// (v − min) / (max − min), with a small epsilon so a constant map becomes zeros.
    public static func minMaxScaled(_ values: [Float]) -> [Float] {
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        return values.map { ($0 - lo) / (hi - lo + 1e-7) }
    }
}

/// Runs a forward and a backward pass and turns activations and gradients into maps
/// (pytorch-grad-cam's `BaseCAM`: capture, weight, ReLU, upsample, min-max).
/// For an ensemble the target is the ensemble's (the mean of the members' logits): each member's fire9 is
/// one block of channels of a layer the ensemble has, so the members' combined maps add up before the ReLU
/// (for one network this is that network's map).
public final class ClassActivationMapper: @unchecked Sendable {
    public let network: Ensemble
    let workspace: EnsembleWorkspace

    public init(network: Ensemble) {
        self.network = network
        workspace = network.makeWorkspace(batch: 1)
    }

    /// Maps for one normalised input `[3, S, S]`. `targetClass` defaults to the predicted class.
    public func maps(input: [Float], methods: [CAMMethod], layer: CAMLayer = .fire9, target: CAMTarget = .logit,
                     targetClass: Int? = nil) -> [CAMMethod: SaliencyMap] {
        let classes = network.classes, size = network.architecture.inputSize
        let logits = input.withUnsafeBufferPointer { network.forward(workspace, input: $0.baseAddress!) }
        let probabilities = SoftmaxCrossEntropy.softmax(logits, classes: classes)
        let predicted = logits.indices.max { logits[$0] < logits[$1] }!
        let c = targetClass ?? predicted
        var dlogits = [Float](repeating: 0, count: classes)
        switch target {
        case .logit: dlogits[c] = 1
        case .softmax:
            // ∂p_c/∂z_j = p_c (δ_cj − p_j)
            for j in 0..<classes { dlogits[j] = probabilities[c] * ((j == c ? 1 : 0) - probabilities[j]) }
        }
        // The mean's gradient reaches each member's logits divided by the member count.
        let share = 1 / Float(network.members.count)
        let memberDlogits = network.members.count == 1 ? dlogits : dlogits.map { $0 * share }
        let side = network.architecture.featureSize, area = side * side
        var cams: [CAMMethod: [Float]] = [:]
        for (member, memberWorkspace) in zip(network.members, workspace.members) {
            member.backward(memberWorkspace, dlogits: memberDlogits, gradients: nil, stopAtFeatures: true)
            let (a, g, k) = layer == .fire9
                ? (memberWorkspace.featureMaps, memberWorkspace.featureGradients, 512)
                : (memberWorkspace.classMaps, memberWorkspace.classMapGradients, classes)
            for method in methods {
                let cam = method.combine(activations: a, gradients: g, channels: k, area: area)
                if let sum = cams[method] { cams[method] = zip(sum, cam).map { $0 + $1 } } else { cams[method] = cam }
            }
        }
        var out: [CAMMethod: SaliencyMap] = [:]
        for method in methods {
            out[method] = SaliencyMap(width: size, height: size, values: Self.finish(cams[method]!, side: side, size: size),
                                      predictedClass: predicted, targetClass: c, probabilities: probabilities)
        }
        return out
    }

    /// ReLU, bilinear upsampling with half-pixel centres (OpenCV INTER_LINEAR), min-max to [0, 1].
    public static func finish(_ cam: [Float], side: Int, size: Int) -> [Float] {
        let positive = cam.map { max($0, 0) }
        let up = Resampler(sourceWidth: side, sourceHeight: side, paddedWidth: side, paddedHeight: side, offsetX: 0, offsetY: 0,
                           outputWidth: size, outputHeight: size).apply(positive)
        return SaliencyMap.minMaxScaled(up)
    }
}
