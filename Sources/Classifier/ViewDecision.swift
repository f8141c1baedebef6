import Foundation
import Markers
import Preprocess

/// What the tool concludes about one image's view, and why. Only `.view` is ever written into a header.
public struct ViewDecision: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// Certain: the view is written where the object's IOD defines it.
        case view
        /// Surely frontal, but AP and PA each fall short of the threshold: nothing written.
        case frontalUncertain = "frontal-uncertain"
        /// No view reaches the threshold: nothing written.
        case uncertain
        /// The content check refused the pixels: not a chest radiograph.
        case notChest = "not-chest"
        /// The header gate refused the object before classification (Modality CT, Body Part HIP, …).
        case skipped
    }

    public var outcome: Outcome
    /// The view to write (`.view` only).
    public var view: RadiographView?
    /// The most likely class (nil when skipped before classification).
    public var mostLikely: RadiographView?
    /// Calibrated probability of the most likely class.
    public var probability: Double?
    /// Calibrated probabilities by class name.
    public var probabilities: [String: Double]
    /// The content check's distance, when it was measured.
    public var contentDistance: Double?
    /// The content check's distance of the image's negative (1 − each display value), when it was measured.
    public var negativeContentDistance: Double?
    /// Why nothing was written, in words for the report (nil for `.view`).
    public var reason: String?
    /// A burned-in marker read on the film (PORTABLE, SUPINE, AP ERECT, PA ERECT, …) that decided or vetoed the view.
    public var marker: String?
    /// The header's words that withheld the view or settled it as AP ("Series Description says AP (PORTABLE)"), or
    /// the Patient Orientation or Distance Source to Detector that withheld it ("Patient Orientation says lateral
    /// (A\F)", "Distance Source to Detector says not PA (1000 mm)").
    public var headerText: String?
    /// Degrees clockwise (90, 180, 270) that would bring the film upright, when it looks stored turned
    /// (`ViewDecisionPolicy.applyingOrientation`).
    public var turnToUpright: Int?
    /// For a model with a feature probe, what each part of the mix said (nil otherwise, and for images refused).
    public var parts: Parts?

    /// Each part's calibrated probabilities by class name: the networks' at their temperature and the probe's at its,
    /// before they are mixed (`FeatureProbe.decisionLogits`), so a reader sees which part carried a view.
    public struct Parts: Sendable, Codable, Equatable {
        public var networks: [String: Double]
        public var probe: [String: Double]
    }

    /// One word or phrase for tables and the console: PA, AP, L, "frontal, AP/PA uncertain", uncertain, …
    public var label: String {
        switch outcome {
        case .view: return view?.name ?? "?"
        case .frontalUncertain: return "frontal, AP/PA uncertain"
        case .uncertain: return "uncertain"
        case .notChest: return "not a chest radiograph"
        case .skipped: return "skipped"
        }
    }

    /// What decided a view besides the network: its burned-in marker or the header's words (nil for the
    /// network's own views).
    public var basis: String? {
        guard outcome == .view else { return nil }
        return Self.basis(marker: marker, headerText: headerText)
    }

    public static func basis(marker: String?, headerText: String?) -> String? {
        marker.map(markerBasis) ?? headerText.map { "from the header's words on a surely frontal film (\($0); the network alone: AP/PA uncertain)" }
    }

    /// The words for a view a burned-in marker decided, for the console, the report, results and the SR.
    public static func markerBasis(_ marker: String) -> String {
        "from a burned-in \(marker) marker on a surely frontal film (the network alone: AP/PA uncertain)"
    }

    /// What the console adds after the decision when a marker was read: it decided the view, or an AP one vetoed a PA.
    public static func markerNote(_ marker: String, viewWritten: Bool) -> String {
        viewWritten || ProjectionMarker.view(settledBy: marker) != .ap ? " (burned-in \(marker) marker)"
            : " (burned-in \(marker) marker against the network's PA)"
    }

    /// What the console adds after "uncertain" for a film that looks stored turned.
    public static func turnNote(_ degrees: Int) -> String { " (looks stored turned: \(degrees) degrees clockwise sets it upright)" }

    public static func skipped(_ reason: String) -> ViewDecision {
        ViewDecision(outcome: .skipped, view: nil, mostLikely: nil, probability: nil, probabilities: [:], contentDistance: nil, reason: reason,
                     marker: nil, headerText: nil)
    }
}

/// The selective rule: a view is written only when its calibrated probability reaches the threshold; when
/// the frontal classes together reach it but neither alone does, the film is "frontal, AP/PA uncertain".
/// Images whose header cannot tell they are chest radiographs must also pass the content check.
public struct ViewDecisionPolicy: Sendable {
    public var views: [RadiographView]
    public var temperature: Double
    /// What the frontal classes together need for "frontal, AP/PA uncertain".
    public var threshold: Double
    /// What a view of each class needs to be written (the model's per-class thresholds, or the user's one).
    public var classThresholds: [Double]
    public var contentCheck: ContentCheck?

    /// `threshold` (the user's) replaces every threshold the model file carries.
    public init(model: ModelFile, threshold: Double? = nil) {
        views = model.views
        temperature = model.temperature
        self.threshold = threshold ?? model.threshold
        classThresholds = model.views.map { threshold ?? model.classThresholds[$0.name] ?? model.threshold }
        contentCheck = model.contentCheck
    }

    /// "PA 0.90, AP 0.97, L 0.80", or one number when all are the same.
    public var thresholdSummary: String {
        if Set(classThresholds).count == 1 { return String(format: "%.3f", classThresholds[0]) }
        return zip(views, classThresholds).map { String(format: "%@ %.3f", $0.name, $1) }.joined(separator: ", ")
    }

    /// Checks a threshold given on the command line.
    public static func validate(threshold: Double) -> String? {
        (0.5...1).contains(threshold) ? nil : "--threshold must be between 0.5 and 1"
    }

    /// - Parameters: logits of one image; its pooled features; whether its header already says it is a
    ///   chest radiograph (then the content distance is reported but does not refuse it); what the header's
    ///   descriptions say about the projection; `marker` reads the film's burned-in marker (`BurnedInText.marker`),
    ///   called only for a surely frontal film that the network does not call AP.
    /// `turned` gives the content check's features of the image turned clockwise by one, two and three quarter turns
    ///   (called when the model has a content check).
    public func decide(logits: ArraySlice<Float>, features: ArraySlice<Float>, negative: NetworkOutput? = nil,
                       headerConfirmsChest: Bool, headerText: HeaderViewText = HeaderViewText(statements: []),
                       turned: () -> [ArraySlice<Float>] = { [] }, marker: () -> String?) -> ViewDecision {
        let network = decide(logits: logits, features: features, negative: negative, headerConfirmsChest: headerConfirmsChest,
                             turned: turned)
        let described = applying(headerText, to: applying(marker, to: network), network: network)
        return applying(headerText.orientation, to: applying(headerText.sourceDistance, to: described))
    }

    /// The frontal classes' probabilities added (`probability` by class index): at the threshold or above, the
    /// film is surely frontal.
    func frontalProbability(_ probability: (Int) -> Double) -> Double {
        views.indices.filter { views[$0].family == .frontal }.reduce(0) { $0 + probability($1) }
    }

    /// What a frontal view other evidence withholds becomes: "frontal, AP/PA uncertain" when the film is surely
    /// frontal, as in the network's own rule (a class's threshold may lie below the one threshold), else uncertain.
    func withheldFrontalOutcome(_ decision: ViewDecision) -> ViewDecision.Outcome {
        frontalProbability { decision.probabilities[views[$0].name] ?? 0 } >= threshold ? .frontalUncertain : .uncertain
    }

    /// Who said the view that other evidence now withholds, for the reason: the burned-in marker, the header's words
    /// or the network.
    static func whoSays(_ view: RadiographView, in decision: ViewDecision) -> String {
        decision.marker.map { "a burned-in \($0) marker says \(view.name)" }
            ?? decision.headerText.map { "the header's words say \(view.name) (\($0))" }
            ?? String(format: "the network says %@ (p %.3f)", view.name, decision.probability ?? 0)
    }

    /// A distance from tube to detector short of a chest stand's withholds a PA view: the film was taken at the
    /// bedside or on the table, where chest films are AP. It becomes "frontal, AP/PA uncertain" when surely frontal
    /// (`withheldFrontalOutcome`); the distance never makes a view (an AP film may be taken at the stand's distance).
    func applying(_ distance: SourceDistance?, to decision: ViewDecision) -> ViewDecision {
        guard let distance, distance.rulesOutPA, decision.outcome == .view, let view = decision.view, view.viewPosition == "PA" else {
            return decision
        }
        var out = decision
        out.outcome = withheldFrontalOutcome(decision)
        out.view = nil
        out.headerText = distance.summary
        out.reason = "\(Self.whoSays(view, in: decision)), but \(distance.summary): \(SourceDistance.explanation)"
        return out
    }

    /// Patient Orientation withholds a view it contradicts: a lateral on a film it says is frontal (L\F), a frontal
    /// view on one it says is lateral (A\F), any view on a film it says is stored turned (H\L: the network saw it
    /// turned). A film with no view written but stored turned by its orientation is told which turn sets it upright.
    func applying(_ orientation: PatientOrientation?, to decision: ViewDecision) -> ViewDecision {
        guard let orientation, decision.outcome != .notChest, decision.outcome != .skipped else { return decision }
        var out = decision
        let turned = orientation.turnToUpright != 0
        if decision.outcome == .view, let view = decision.view, view.family != .other {
            let family: PatientOrientation.Family = view.family == .lateral ? .lateral : .frontal
            guard turned || family != orientation.family else { return decision }
            out.outcome = .uncertain
            out.view = nil
            out.marker = nil  // the reason names it; it decided nothing written
            out.headerText = orientation.summary
            out.reason = "\(Self.whoSays(view, in: decision)), but \(orientation.summary)"
                + (turned ? ": turned \(orientation.turnToUpright) degrees clockwise it is upright" : "")
        } else if turned, decision.turnToUpright == nil {
            out.reason = (decision.reason.map { $0 + "; " } ?? "") + "\(orientation.summary): turned \(orientation.turnToUpright) degrees clockwise it is upright"
        } else {
            return decision
        }
        if turned { out.turnToUpright = out.turnToUpright ?? orientation.turnToUpright }
        return out
    }

    /// The header's words withhold a view they contradict ("CHEST AP PORTABLE" against a PA, "LATERAL" against a
    /// frontal view): nothing is written then. A film the network itself calls "frontal, AP/PA uncertain" becomes
    /// AP when a description names AP (PORTABLE, SUPINE, AP, …) and none names PA — the burned-in marker's rule —
    /// unless a burned-in marker (PRONE) said otherwise.
    func applying(_ text: HeaderViewText, to decision: ViewDecision, network: ViewDecision) -> ViewDecision {
        var out = decision
        if decision.outcome == .view, let view = decision.view, let claim = Self.claim(of: view), let against = text.contradiction(of: claim) {
            out.outcome = view.family == .frontal && against.claims.isSubset(of: [.ap, .pa]) ? withheldFrontalOutcome(decision) : .uncertain
            out.view = nil
            out.headerText = against.summary
            out.marker = nil  // the reason names it; it decided nothing written
            out.reason = "\(Self.whoSays(view, in: decision)), but \(against.summary)"
        } else if decision.outcome == .frontalUncertain, network.outcome == .frontalUncertain, decision.marker == nil, views.contains(.ap),
                  let says = text.saysAP {
            out.outcome = .view
            out.view = .ap
            out.reason = nil
            out.headerText = says.summary
        }
        return out
    }

    /// The projection a description would name for `view`.
    static func claim(of view: RadiographView) -> HeaderViewText.Claim? {
        switch view.family {
        case .lateral: return .lateral
        case .frontal: return view.viewPosition == "AP" ? .ap : view.viewPosition == "PA" ? .pa : nil
        case .other: return nil
        }
    }

    /// A burned-in marker settles a surely frontal film: "frontal, AP/PA uncertain" becomes AP with an AP marker and
    /// PA with a PA marker (PA ERECT, a lone PA read with confidence), and a PA the network is sure of is withheld by an AP marker
    /// (`withheldFrontalOutcome`; marker and network disagree: nothing is written). A film the network calls AP, a
    /// lateral, or one not surely frontal is left as it is, and not read.
    func applying(_ marker: () -> String?, to decision: ViewDecision) -> ViewDecision {
        guard views.contains(.ap), views.contains(.pa) else { return decision }
        let isPA = decision.outcome == .view && decision.view?.family == .frontal && decision.view != .ap
        guard decision.outcome == .frontalUncertain || isPA, let marker = marker() else { return decision }
        let settles = ProjectionMarker.view(settledBy: marker)
        if settles == .pa, isPA { return decision }  // it agrees with the network's PA
        var out = decision
        out.marker = marker
        if isPA {
            out.outcome = withheldFrontalOutcome(decision)
            out.view = nil
            out.reason = String(format: "the network says %@ (p %.3f), but the film carries a burned-in %@ marker, which means %@",
                                decision.view?.name ?? "PA", decision.probability ?? 0, marker,
                                settles == .ap ? "AP" : "no standing PA film")
        } else if let settles {
            out.outcome = .view
            out.view = settles
            out.reason = nil
        } else {
            out.reason = (decision.reason.map { $0 + "; " } ?? "") + "a burned-in \(marker) marker: taken lying face down, neither AP nor a standing PA"
        }
        return out
    }

    /// The network's logits and pooled features for one input.
    public typealias NetworkOutput = (logits: ArraySlice<Float>, features: ArraySlice<Float>)

    /// - Parameter negative: the network's output for the image's negative (1 − each display value). When the
    ///   negative lies nearer the training films than the image itself, the image may be a negative (bone dark, air
    ///   bright: a MONOCHROME1 film exported without inversion, or a wrong Photometric Interpretation); its view is
    ///   then written only if the negative is given the same view. Read as they are, negatives were given confident
    ///   views, some wrong, while the closeness alone also picks out some positive films (tight crops, white lungs).
    public func decide(logits: ArraySlice<Float>, features: ArraySlice<Float>, negative: NetworkOutput? = nil,
                       headerConfirmsChest: Bool, turned: () -> [ArraySlice<Float>] = { [] }) -> ViewDecision {
        var decision = applyingOrientation(to: decideAsRead(logits: logits, features: features, headerConfirmsChest: headerConfirmsChest),
                                           turned: turned)
        guard let negative, let check = contentCheck, let distance = decision.contentDistance, decision.outcome != .notChest else {
            return decision
        }
        let negativeDistance = check.distance(features: negative.features)
        decision.negativeContentDistance = negativeDistance
        guard negativeDistance < distance, decision.outcome == .view, let view = decision.view else { return decision }
        let inverse = decideAsRead(logits: negative.logits, features: negative.features, headerConfirmsChest: true)
        guard inverse.outcome != .view || inverse.view != view else { return decision }
        decision.outcome = .uncertain
        decision.view = nil
        decision.reason = String(format: "%@ at p %.3f, but this may be a negative image (bone dark): its inverse lies nearer the training "
                                 + "films (content distance %.1f against its own %.1f) and is read as %@", view.name, decision.probability ?? 0,
                                 negativeDistance, distance, inverse.outcome == .view ? inverse.view?.name ?? "?" : inverse.label)
        return decision
    }

    /// A film that, turned by a quarter or half turn, lies clearly nearer the training films and within the content
    /// check's limit (`ContentCheck.uprightTurn`) looks stored turned (on its side, upside down: a CR plate read in
    /// the wrong orientation, a rotated export). The network saw it turned, and turned films get confident wrong
    /// views (a lateral on its side read as AP, a PA on its side as lateral), so no view is written and the reason
    /// says which turn would set it upright. An image the content check refuses stays refused, its reason naming
    /// the turn.
    func applyingOrientation(to decision: ViewDecision, turned: () -> [ArraySlice<Float>]) -> ViewDecision {
        guard let check = contentCheck, let distance = decision.contentDistance else { return decision }
        let distances = turned().map { check.distance(features: $0) }
        guard let quarterTurns = check.uprightTurn(stored: distance, turned: distances) else { return decision }
        var out = decision
        let degrees = 90 * quarterTurns
        out.turnToUpright = degrees
        let turnedDistance = distances[quarterTurns - 1]
        if decision.outcome == .notChest {
            // Refused as it is; the turn may only be what a picture that is no chest film looks like turned (a dental
            // film on its side can pass), so the reason says both.
            out.reason = String(format: "not a chest radiograph as stored (content distance %.1f, limit %.1f), but turned %d degrees clockwise it "
                                + "lies within the limit (%.1f): if it is a chest film stored turned, turn it upright and run it again",
                                distance, check.limit, degrees, turnedDistance)
        } else {
            out.outcome = .uncertain
            out.view = nil
            out.reason = String(format: "the film looks stored turned: turned %d degrees clockwise it lies nearer the training films (content distance "
                                + "%.1f, against %.1f as stored; limit %.1f)", degrees, turnedDistance, distance, check.limit)
        }
        return out
    }

    /// The decision on the image as it is read.
    func decideAsRead(logits: ArraySlice<Float>, features: ArraySlice<Float>, headerConfirmsChest: Bool) -> ViewDecision {
        let k = views.count
        let p = Calibration.probabilities(logits: Array(logits), classes: k, temperature: temperature).map(Double.init)
        let best = (0..<k).max { p[$0] < p[$1] }!
        let probabilities = Dictionary(uniqueKeysWithValues: zip(views.map(\.name), p))
        var decision = ViewDecision(outcome: .uncertain, view: nil, mostLikely: views[best], probability: p[best],
                                    probabilities: probabilities, contentDistance: nil, reason: nil, marker: nil,
                                    headerText: nil)
        if let check = contentCheck {
            let distance = check.distance(features: features)
            decision.contentDistance = distance
            if !headerConfirmsChest && !check.accepts(distance: distance) {
                decision.outcome = .notChest
                decision.reason = String(format: "not a chest radiograph (content distance %.1f, limit %.1f)", distance, check.limit)
                return decision
            }
        } else if !headerConfirmsChest {
            decision.outcome = .notChest
            decision.reason = "not a chest radiograph by its header, and the model has no content check"
            return decision
        }
        if p[best] >= classThresholds[best] {
            decision.outcome = .view
            decision.view = views[best]
            return decision
        }
        let frontalSum = frontalProbability { p[$0] }
        if views.filter({ $0.family == .frontal }).count > 1 && views[best].family == .frontal && frontalSum >= threshold {
            decision.outcome = .frontalUncertain
            decision.reason = String(format: "frontal (p %.3f), but %@ at p %.3f is below its threshold %.3f",
                                     frontalSum, views[best].name, p[best], classThresholds[best])
        } else {
            decision.reason = String(format: "most likely %@ at p %.3f, below its threshold %.3f", views[best].name, p[best], classThresholds[best])
        }
        return decision
    }
}
