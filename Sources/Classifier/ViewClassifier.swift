import Foundation
import Preprocess

/// A prediction for one image, with the header's view for comparison.
public struct ViewPrediction: Sendable, Codable {
    public enum Agreement: String, Sendable, Codable { case agree, disagree, noHeader = "no-header", uncertain }

    public var file: String
    /// "PA", "L", or "uncertain" below the threshold.
    public var view: String
    /// The most likely class, even when uncertain.
    public var mostLikely: String
    public var probability: Double
    public var probabilities: [String: Double]
    public var headerViewPosition: String?
    public var agreement: Agreement

    public var isUncertain: Bool { view == "uncertain" }

    public var line: String {
        let header = headerViewPosition.map { "header \($0)" } ?? "no header view"
        return String(format: "%@\t%@\t%.4f\t%@\t%@", file, view == "uncertain" ? "uncertain (\(mostLikely)?)" : view, probability, header, agreement.rawValue)
    }
}

/// Classifies radiographs with a model file: reads (on all cores), preprocesses, runs batched forward passes.
/// Only pixels reach the model; file names and paths never do.
public final class ViewClassifier: @unchecked Sendable {
    public let model: ModelFile
    public let threshold: Double
    let lock = NSLock()
    var workspaces: [Int: Workspace] = [:]

    public init(model: ModelFile, threshold: Double = 0.9) {
        self.model = model
        self.threshold = threshold
    }

    /// Class probabilities for network inputs (gray, size²), batched.
    public func probabilities(grays: [[Float]]) -> [[Float]] {
        guard !grays.isEmpty else { return [] }
        lock.lock(); defer { lock.unlock() }
        let batch = min(grays.count, 8)
        let ws = workspaces[batch] ?? model.network.makeWorkspace(batch: batch)
        workspaces = [batch: ws]  // keep one workspace: memory stays bounded
        let flat = Trainer.predict(model.network, grays: grays, workspace: ws, options: model.options)
        return (0..<grays.count).map { Array(flat[($0 * 2)..<($0 * 2 + 2)]) }
    }

    public func predict(file: String, probabilities p: [Float], header: String?) -> ViewPrediction {
        let best = p[1] > p[0] ? ViewClass.lateral : ViewClass.pa
        let probability = Double(max(p[0], p[1]))
        let uncertain = probability < threshold
        let headerClass = header.flatMap { ViewClass(label: $0) }
        let agreement: ViewPrediction.Agreement
        if uncertain { agreement = .uncertain } else if let headerClass { agreement = headerClass == best ? .agree : .disagree } else { agreement = .noHeader }
        return ViewPrediction(file: file, view: uncertain ? "uncertain" : best.name, mostLikely: best.name, probability: probability,
                              probabilities: ["PA": Double(p[0]), "L": Double(p[1])], headerViewPosition: header, agreement: agreement)
    }

    /// Reads and classifies files; each result is a prediction or the reason it failed.
    public func classify(paths: [String]) -> [Result<ViewPrediction, ImageReadError>] {
        let options = model.options
        let slots = LockedSlots<Result<(gray: [Float], header: String?), ImageReadError>>(count: paths.count)
        Parallel.chunks(paths.count, minimumChunk: 1) { range in
            for i in range {
                let r: Result<(gray: [Float], header: String?), ImageReadError>
                do throws(ImageReadError) {
                    let image = try RadiographLoader.load(path: paths[i])
                    r = .success((NetworkInput(radiograph: image, options: options).gray, image.tags.viewPosition))
                } catch { r = .failure(error) }
                slots.set(i, r)
            }
        }
        let loaded = slots.values
        let ok = loaded.enumerated().compactMap { i, r -> (Int, [Float], String?)? in
            if case .success(let v) = r { return (i, v.gray, v.header) }
            return nil
        }
        let probs = probabilities(grays: ok.map(\.1))
        var out = [Result<ViewPrediction, ImageReadError>?](repeating: nil, count: paths.count)
        for (k, item) in ok.enumerated() { out[item.0] = .success(predict(file: paths[item.0], probabilities: probs[k], header: item.2)) }
        for (i, r) in loaded.enumerated() { if case .failure(let e) = r { out[i] = .failure(e) } }
        return out.map { $0! }
    }
}
