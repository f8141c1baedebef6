import Foundation
import Markers
import Preprocess
import TensorEngine

/// The decision for one image, with the header's view for comparison.
public struct ViewPrediction: Sendable, Codable {
    public enum Agreement: String, Sendable, Codable {
        case agree, disagree
        case noHeader = "no-header"
        /// The header holds a value that is none of the views read (LLD, OBLIQUE, …).
        case headerNotUnderstood = "header-not-understood"
        /// No certain view to compare with.
        case undecided
    }

    public var file: String
    public var decision: ViewDecision
    public var headerViewPosition: String?
    public var agreement: Agreement

    public init(file: String, decision: ViewDecision, headerViewPosition: String?) {
        self.file = file
        self.decision = decision
        self.headerViewPosition = headerViewPosition
        agreement = Self.agreement(header: headerViewPosition, decision: decision)
    }

    /// Header AP against a predicted AP agrees, against a predicted PA disagrees; any lateral agrees with a lateral.
    public static func agreement(header: String?, decision: ViewDecision) -> Agreement {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return .noHeader }
        guard let headerView = RadiographView(label: header) else { return .headerNotUnderstood }
        guard decision.outcome == .view, let view = decision.view else { return .undecided }
        return headerView.sameView(as: view) ? .agree : .disagree
    }

    public var line: String {
        let header = headerViewPosition.map { "header \($0)" } ?? "no header view"
        // A view's probability means nothing for an image that is no chest film: not shown (JSON keeps it).
        let p = decision.outcome == .notChest ? "-" : decision.probability.map { String(format: "%.4f", $0) } ?? "-"
        var what = decision.label
        if decision.outcome == .uncertain {
            if let m = decision.mostLikely { what += " (\(m.name)?)" }
            if let turn = decision.turnToUpright { what += ViewDecision.turnNote(turn) }
        }
        if decision.outcome == .skipped, let r = decision.reason { what += ": \(r)" }
        if decision.outcome == .notChest, let r = decision.reason { what = r }
        if let marker = decision.marker { what += ViewDecision.markerNote(marker, viewWritten: decision.outcome == .view) }
        if let words = decision.headerText { what += " (\(words))" }
        return "\(file)\t\(what)\t\(p)\t\(header)\t\(agreement.rawValue)"
    }
}

/// Classifies radiographs with a model file: reads through the header gate (on all cores), preprocesses,
/// runs batched forward passes and applies the decision policy. Only pixels reach the model; file names
/// and paths never do.
public final class ViewClassifier: @unchecked Sendable {
    public let model: ModelFile
    public let policy: ViewDecisionPolicy
    public let gate: ChestGate
    let lock = NSLock()
    var workspaces: [Int: EnsembleWorkspace] = [:]
    /// The content check reads the first network's pooled features: the turned films' check needs that network alone.
    let contentNetwork: Ensemble
    var contentWorkspaces: [Int: EnsembleWorkspace] = [:]

    /// Whether burned-in markers are read (`ViewDecisionPolicy.applying`); off, or without Tesseract, never.
    public let readsMarkers: Bool

    public init(model: ModelFile, threshold: Double? = nil, gate: ChestGate = ChestGate(), readsMarkers: Bool = true) {
        self.model = model
        self.readsMarkers = readsMarkers
        policy = ViewDecisionPolicy(model: model, threshold: threshold)
        self.gate = gate
        contentNetwork = Ensemble(model.network.members[0])
    }

    /// Logits (classes each) and pooled features (512 each) for network inputs (gray, size²), batched.
    public func logitsAndFeatures(grays: [[Float]]) -> [ViewDecisionPolicy.NetworkOutput] {
        let (logits, features, d) = pass(model.network, grays: grays, workspaces: \.workspaces)
        let k = model.views.count
        return (0..<grays.count).map { (logits[($0 * k)..<($0 * k + k)], features[($0 * d)..<($0 * d + d)]) }
    }

    /// The content check's features (the first network's pooled fire9, 512 each) for network inputs, batched: a
    /// third of an ensemble's passes where the logits are not needed.
    public func contentFeatures(grays: [[Float]]) -> [ArraySlice<Float>] {
        let (_, features, d) = pass(contentNetwork, grays: grays, workspaces: \.contentWorkspaces)
        return (0..<grays.count).map { features[($0 * d)..<($0 * d + d)] }
    }

    /// One batched pass of `network` under the lock, in the cached workspace for its batch size (one kept: memory
    /// stays bounded). `workspaces` names the cache, read and replaced only under the lock (callers on several
    /// threads share it).
    private func pass(_ network: Ensemble, grays: [[Float]], workspaces: ReferenceWritableKeyPath<ViewClassifier, [Int: EnsembleWorkspace]>)
        -> (logits: [Float], features: [Float], featureChannels: Int) {
        guard !grays.isEmpty else { return ([], [], 0) }
        lock.lock(); defer { lock.unlock() }
        let batch = min(grays.count, 8)
        let ws = self[keyPath: workspaces][batch] ?? network.makeWorkspace(batch: batch)
        self[keyPath: workspaces] = [batch: ws]
        let (logits, features) = Trainer.logitsAndFeatures(network, grays: grays, workspace: ws, options: model.options)
        return (logits, features, ws.featureChannels)
    }

    /// The content check's features of a network-input gray turned clockwise by one, two and three quarter turns,
    /// for the policy's check for films stored turned.
    func turnedFeatures(_ grays: [[Float]]) -> [ArraySlice<Float>] {
        contentFeatures(grays: grays.flatMap { gray in (1...3).map { NetworkInput.turned(gray: gray, quarterTurns: $0) } })
    }

    /// Whether markers are read, in words for the report and the console.
    public var markerReading: String {
        guard readsMarkers else { return "not read (--no-read-markers)" }
        guard model.views.contains(.ap) else { return "not read (the model has no AP class)" }
        return BurnedInText.isAvailable ? "read with Tesseract on surely frontal films the network does not call AP"
            : "not read: \(BurnedInText.notInstalled)"
    }

    /// The burned-in marker of a film (`BurnedInText.marker`), if markers are read and one is found.
    public func marker(_ radiograph: Radiograph) -> String? {
        guard readsMarkers else { return nil }
        return BurnedInText.read(radiograph)?.marker
    }

    /// The network-input gray of the input image's negative for the policy's negative-image rule; nil when the model
    /// has no content check to weigh it with (then the second forward pass is not made).
    public func negativeGray(of input: NetworkInput) -> [Float]? {
        policy.contentCheck == nil ? nil : input.negativeGray
    }

    /// Adds what each part of a mixed decision said, for a film the content check let through.
    func withParts(_ decision: inout ViewDecision, network: ArraySlice<Float>, probeFeatures: [Float]?) {
        guard decision.outcome != .notChest, decision.outcome != .skipped else { return }
        decision.parts = model.decisionParts(network: network, probeFeatures: probeFeatures)
    }

    /// The feature probe's features of a radiograph, for a model with a probe (else nil).
    public func probeFeatures(of radiograph: Radiograph) -> [Float]? {
        model.probe?.features(of: radiograph, options: model.options)
    }

    /// The decision for one network input; `marker` reads the film's burned-in marker when it is needed
    /// (`marker(_:)` on the radiograph the input was made from).
    /// `negativeGray` (`negativeGray(of:)`) lets the policy weigh whether the image is a negative; `probeFeatures`
    /// (`probeFeatures(of:)`) are the feature probe's, for a model with one.
    public func decide(file: String, gray: [Float], negativeGray: [Float]? = nil, probeFeatures: [Float]? = nil, header: String?,
                       headerConfirmsChest: Bool, headerText: HeaderViewText = HeaderViewText(statements: []),
                       marker: () -> String? = { nil }) -> ViewPrediction {
        let r = logitsAndFeatures(grays: [gray] + (negativeGray.map { [$0] } ?? []))
        let negative = r.count > 1 ? (logits: model.decisionLogits(network: r[1].logits, probeFeatures: nil), features: r[1].features) : nil
        var decision = policy.decide(logits: model.decisionLogits(network: r[0].logits, probeFeatures: probeFeatures),
                                     features: r[0].features, negative: negative,
                                     headerConfirmsChest: headerConfirmsChest, headerText: headerText,
                                     turned: { turnedFeatures([gray]) }, marker: marker)
        withParts(&decision, network: r[0].logits, probeFeatures: probeFeatures)
        return ViewPrediction(file: file, decision: decision, headerViewPosition: header)
    }

    /// The decision for a radiograph and its network input, as `process` and `explain` make it: the header's view
    /// to compare, the negative weighed, the burned-in marker read when needed.
    public func decide(file: String, radiograph: Radiograph, input: NetworkInput, headerConfirmsChest: Bool) -> ViewPrediction {
        decide(file: file, gray: input.gray, negativeGray: negativeGray(of: input), probeFeatures: probeFeatures(of: radiograph),
               header: radiograph.tags.headerView,
               headerConfirmsChest: headerConfirmsChest, headerText: HeaderViewText(tags: radiograph.tags), marker: { self.marker(radiograph) })
    }

    /// Reads and classifies files; each result is a decision (skipped ones included) or the reason the file failed.
    public func classify(paths: [String]) -> [Result<ViewPrediction, ImageReadError>] {
        let options = model.options, gate = self.gate
        enum Loaded { case input(gray: [Float], negative: [Float]?, probe: [Float]?, tags: RadiographTags, chest: Bool), skipped(String, header: String?) }
        let slots = LockedSlots<Result<Loaded, ImageReadError>>(count: paths.count)
        Parallel.chunks(paths.count, minimumChunk: 1) { range in
            for i in range {
                do throws(ImageReadError) {
                    switch try GatedInput.read(path: paths[i], gate: gate) {
                    case .skipped(let reason, let tags): slots.set(i, .success(.skipped(reason, header: tags.headerView)))
                    case .radiograph(let image, _, let verdict):
                        let input = NetworkInput(radiograph: image, options: options)
                        slots.set(i, .success(.input(gray: input.gray, negative: negativeGray(of: input), probe: probeFeatures(of: image),
                                                     tags: image.tags, chest: verdict == .chest)))
                    }
                } catch { slots.set(i, .failure(error)) }
            }
        }
        let loaded = slots.values.map { $0! }
        typealias Input = (index: Int, gray: [Float], negative: [Float]?, probe: [Float]?, tags: RadiographTags, chest: Bool)
        let inputs = loaded.enumerated().compactMap { i, r -> Input? in
            if case .success(.input(let gray, let negative, let probe, let tags, let chest)) = r { return (i, gray, negative, probe, tags, chest) }
            return nil
        }
        let outputs = logitsAndFeatures(grays: inputs.map(\.gray))
        let negativeGrays = inputs.compactMap(\.negative)  // every input's or none (the model has no content check)
        let negatives = negativeGrays.count == inputs.count ? logitsAndFeatures(grays: negativeGrays) : nil
        var out = [Result<ViewPrediction, ImageReadError>?](repeating: nil, count: paths.count)
        // The turns, eight films' at a time (full batches; all at once would hold three more grays per film).
        var turned: [Int: [ArraySlice<Float>]] = [:]
        func turns(of k: Int) -> [ArraySlice<Float>] {
            if turned[k] == nil {
                let chunk = k..<min(k + 8, inputs.count)
                let features = turnedFeatures(chunk.map { inputs[$0].gray })
                turned = Dictionary(uniqueKeysWithValues: chunk.map { ($0, Array(features[(3 * ($0 - k))..<(3 * ($0 - k) + 3)])) })
            }
            return turned[k]!
        }
        for (k, item) in inputs.enumerated() {
            // The film is read again only when its marker could change the decision (not kept for all: memory).
            let negative = negatives.map { (logits: model.decisionLogits(network: $0[k].logits, probeFeatures: nil), features: $0[k].features) }
            var decision = policy.decide(logits: model.decisionLogits(network: outputs[k].logits, probeFeatures: item.probe),
                                         features: outputs[k].features, negative: negative,
                                         headerConfirmsChest: item.chest, headerText: HeaderViewText(tags: item.tags),
                                         turned: { turns(of: k) }, marker: {
                guard readsMarkers, case .radiograph(let image, _, _)? = try? GatedInput.read(path: paths[item.index], gate: gate) else { return nil }
                return marker(image)
            })
            withParts(&decision, network: outputs[k].logits, probeFeatures: item.probe)
            out[item.index] = .success(ViewPrediction(file: paths[item.index], decision: decision, headerViewPosition: item.tags.headerView))
        }
        for (i, r) in loaded.enumerated() {
            switch r {
            case .failure(let e): out[i] = .failure(e)
            case .success(.skipped(let reason, let header)):
                out[i] = .success(ViewPrediction(file: paths[i], decision: .skipped(reason), headerViewPosition: header))
            case .success(.input): break
            }
        }
        return out.map { $0! }
    }
}
