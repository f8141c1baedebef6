import Classifier
import Foundation
import Markers
import Preprocess
import TensorEngine
import TestSupport
import Testing

/// A model file with random weights whose classes and settings the test chooses.
func makeModelFile(_ views: [RadiographView], in dir: URL, name: String, temperature: Double = 1, threshold: Double = 0.9,
                   classThresholds: [String: Double] = [:], contentCheck: ContentCheck? = nil) throws -> String {
    var config = TrainingConfig()
    config.inputSize = 64
    config.classes = views
    let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: views.count, inputSize: 64))
    net.initialise(seed: 3)
    let path = dir.appendingPathComponent("\(name).safetensors").path
    try net.save(path: path, metadata: ModelFile.metadata(name: name, config: config, temperature: temperature, threshold: threshold,
                                                          classThresholds: classThresholds, contentLimit: contentCheck?.limit),
                 extra: contentCheck.map(ModelFile.tensors(of:)) ?? [:])
    return path
}

struct ModelFileTests {
    let dir = TestPaths.temporaryDirectory("modelfile")

    @Test("a model file with a class no code knows loads and decides with no code change")
    func newClassFromFile() throws {
        let custom = RadiographView(name: "PAE", viewPosition: "PA", codeValue: "272479007", codeMeaning: "postero-anterior", family: .frontal)
        let path = try makeModelFile([.pa, .ap, .lateral, custom], in: dir, name: "four", temperature: 1.7, threshold: 0.8)
        let model = try ModelFile(path: path)
        #expect(model.views == [.pa, .ap, .lateral, custom])
        #expect(model.network.classes == 4)
        #expect(model.temperature == 1.7 && model.threshold == 0.8)
        #expect(model.contentCheck == nil)
        #expect(model.classIndex(named: "PAE") == 3)
        #expect(model.classIndex(named: "LATERAL") == 2)
        let classifier = ViewClassifier(model: model)
        let gray = (0..<(64 * 64)).map { Float($0 % 64) / 64 }
        let prediction = classifier.decide(file: "x", gray: gray, header: "AP", headerConfirmsChest: true)
        #expect(Set(prediction.decision.probabilities.keys) == ["PA", "AP", "L", "PAE"])
        #expect(abs(prediction.decision.probabilities.values.reduce(0, +) - 1) < 1e-5)
    }

    @Test("an ensemble's model file holds every member; the classifier's logits are their mean; a bad member count is refused")
    func ensembleFile() throws {
        var config = TrainingConfig()
        config.inputSize = 64
        let members = (0..<3).map { m -> SqueezeNet in
            let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 64))
            net.initialise(seed: 10 + UInt64(m))
            return net
        }
        let path = dir.appendingPathComponent("ensemble.safetensors").path
        let metadata = ModelFile.metadata(name: "ensemble", config: config, temperature: 1, threshold: 0.9, contentLimit: nil)
        try ModelFile.save(Ensemble(members), path: path, metadata: metadata, extra: [:])
        let model = try ModelFile(path: path)
        #expect(model.network.members.count == 3)
        #expect(model.network.members.map(\.parameters.array) == members.map(\.parameters.array))
        let gray = (0..<(64 * 64)).map { Float(($0 * 7) % 64) / 64 }
        let logits = Array(ViewClassifier(model: model).logitsAndFeatures(grays: [gray])[0].logits)
        let each = members.map { Trainer.logitsAndFeatures(Ensemble($0), grays: [gray], workspace: Ensemble($0).makeWorkspace(batch: 1),
                                                           options: model.options, features: false).logits }
        for c in 0..<3 {
            #expect(abs(logits[c] - (each[0][c] + each[1][c] + each[2][c]) / 3) < 1e-5, "class \(c): \(logits) \(each)")
        }
        // One member is a plain SqueezeNet file: no prefix, no member count.
        let single = dir.appendingPathComponent("single.safetensors").path
        try ModelFile.save(Ensemble(members[0]), path: single, metadata: metadata, extra: [:])
        let (tensors, singleMetadata) = try SafeTensors.read(path: single)
        #expect(singleMetadata["members"] == nil && Set(tensors.keys) == Set(members[0].tensors.keys))
        var bad = metadata
        bad["members"] = "0"
        try ModelFile.save(Ensemble(members[0]), path: single, metadata: bad, extra: [:])
        #expect(throws: ModelFile.LoadError.self) { try ModelFile(path: single) }
    }

    @Test("a model file of the first sessions (classes PA,L, no calibration) still loads")
    func legacyFile() throws {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 2, inputSize: 64))
        let path = dir.appendingPathComponent("legacy.safetensors").path
        try net.save(path: path, metadata: ["classes": "PA,L", "input_size": "64"])
        let model = try ModelFile(path: path)
        #expect(model.views == [.pa, .lateral])
        #expect(model.temperature == 1 && model.threshold == ModelFile.fallbackThreshold)
    }

    @Test("the model file records the input's tone; files without it read as-read; an unknown tone is refused")
    func toneRecorded() throws {
        var config = TrainingConfig()
        config.inputSize = 64
        config.tone = NetworkInputOptions.Tone.equalized.rawValue
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 3, inputSize: 64))
        net.initialise(seed: 5)
        let path = dir.appendingPathComponent("tone.safetensors").path
        var metadata = ModelFile.metadata(name: "tone", config: config, temperature: 1, threshold: 0.9, contentLimit: nil)
        try net.save(path: path, metadata: metadata)
        let equalized = try ModelFile(path: path)
        #expect(equalized.options == NetworkInputOptions(size: 64, tone: .equalized))
        // The classifier equalises: a gamma change of the image gives the same logits, unlike an as-read model's.
        let gray = (0..<(64 * 64)).map { Float(($0 * 37) % 101) / 100 }, brighter = gray.map { pow($0, 0.7) }
        func logits(_ model: ModelFile, _ g: [Float]) -> [Float] { Array(ViewClassifier(model: model).logitsAndFeatures(grays: [g])[0].logits) }
        #expect(logits(equalized, gray) == logits(equalized, brighter))
        metadata["tone"] = nil
        try net.save(path: path, metadata: metadata)
        let asRead = try ModelFile(path: path)
        #expect(asRead.options.tone == .asRead)
        #expect(logits(asRead, gray) != logits(asRead, brighter))
        metadata["tone"] = "three-tones"
        try net.save(path: path, metadata: metadata)
        let threeTones = try ModelFile(path: path)
        #expect(threeTones.options == NetworkInputOptions(size: 64, tone: .threeTones))
        #expect(logits(threeTones, gray) != logits(asRead, gray))
        metadata["tone"] = "clahe"
        try net.save(path: path, metadata: metadata)
        #expect(throws: ModelFile.LoadError.self) { try ModelFile(path: path) }
    }

    @Test("an unknown class without a definition is refused with the reason")
    func unknownClass() throws {
        let net = SqueezeNet(architecture: SqueezeNetArchitecture(classes: 2, inputSize: 64))
        let path = dir.appendingPathComponent("odd.safetensors").path
        try net.save(path: path, metadata: ["classes": "PA,OBLIQUE", "input_size": "64"])
        #expect(throws: ModelFile.LoadError.self) { try ModelFile(path: path) }
    }
}

struct ViewDecisionPolicyTests {
    func policy(threshold: Double = 0.9, temperature: Double = 1, limit: Double = 3) throws -> ViewDecisionPolicy {
        let dir = TestPaths.temporaryDirectory("policy")
        let check = ContentCheck(mean: [Float](repeating: 0, count: 512), precision: (0..<(512 * 512)).map { $0 % 513 == 0 ? 1 : 0 }, limit: limit)
        let model = try ModelFile(path: try makeModelFile([.pa, .ap, .lateral], in: dir, name: "p", temperature: temperature,
                                                          threshold: threshold, contentCheck: check))
        return ViewDecisionPolicy(model: model)
    }

    /// Logits whose softmax is `p` (at temperature 1).
    func logits(_ p: [Double]) -> ArraySlice<Float> { ArraySlice(p.map { Float(log($0)) }) }
    let near = ArraySlice([Float](repeating: 0, count: 512))

    @Test("certain views, frontal AP/PA uncertain, uncertain")
    func outcomes() throws {
        let policy = try policy()
        let pa = policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false)
        #expect(pa.outcome == .view && pa.view == .pa && abs(pa.probability! - 0.95) < 1e-5)
        let frontal = policy.decide(logits: logits([0.55, 0.44, 0.01]), features: near, headerConfirmsChest: false)
        #expect(frontal.outcome == .frontalUncertain && frontal.view == nil && frontal.mostLikely == .pa)
        #expect(frontal.label == "frontal, AP/PA uncertain")
        let unsure = policy.decide(logits: logits([0.5, 0.1, 0.4]), features: near, headerConfirmsChest: false)
        #expect(unsure.outcome == .uncertain && unsure.view == nil)
        let lateral = policy.decide(logits: logits([0.05, 0.02, 0.93]), features: near, headerConfirmsChest: false)
        #expect(lateral.outcome == .view && lateral.view == .lateral)
    }

    @Test("an image whose negative lies nearer the training films keeps its view only if the negative is given the same view")
    func negativeImage() throws {
        let policy = try policy()
        func features(_ x: Float) -> ArraySlice<Float> { var f = [Float](repeating: 0, count: 512); f[0] = x; return f[...] }
        // Distances are the square root of this check's Mahalanobis distance: 4 → 2, 2.25 → 1.5, 6.25 → 2.5, 16 → 4.
        let pa = logits([0.95, 0.04, 0.01]), ap = logits([0.04, 0.95, 0.01])
        let disagree = policy.decide(logits: pa, features: features(4), negative: (ap, features(2.25)), headerConfirmsChest: true)
        #expect(disagree.outcome == .uncertain && disagree.view == nil && disagree.mostLikely == .pa)
        #expect(disagree.contentDistance == 2 && disagree.negativeContentDistance == 1.5)
        #expect(disagree.reason == "PA at p 0.950, but this may be a negative image (bone dark): its inverse lies nearer the training "
                + "films (content distance 1.5 against its own 2.0) and is read as AP")
        let agree = policy.decide(logits: pa, features: features(4), negative: (pa, features(2.25)), headerConfirmsChest: false)
        #expect(agree.outcome == .view && agree.view == .pa && agree.reason == nil)
        let farther = policy.decide(logits: pa, features: features(4), negative: (ap, features(6.25)), headerConfirmsChest: false)
        #expect(farther.outcome == .view && farther.view == .pa && farther.negativeContentDistance == 2.5)
        // Nothing is written for an uncertain film anyway; it stays as it is.
        let frontal = policy.decide(logits: logits([0.55, 0.44, 0.01]), features: features(4), negative: (ap, features(2.25)),
                                    headerConfirmsChest: false)
        #expect(frontal.outcome == .frontalUncertain)
        // Refused by the content limit first: the negative is not weighed.
        let far = policy.decide(logits: pa, features: features(16), negative: (pa, features(2.25)), headerConfirmsChest: false)
        #expect(far.outcome == .notChest && far.negativeContentDistance == nil)
    }

    @Test("a film whose nearest turn lies within the limit and 4 nearer than as stored is called turned: no view, the turn named")
    func turnedFilm() throws {
        let policy = try policy()
        func features(_ x: Float) -> ArraySlice<Float> { var f = [Float](repeating: 0, count: 512); f[0] = x; return f[...] }
        let pa = logits([0.95, 0.04, 0.01]), lateral = logits([0.03, 0.02, 0.95])
        var calls = 0
        // Distances are square roots here (limit 3): as stored 8; turned 90°, 180°, 270° clockwise 3.5, 3.2, 1.5.
        func turns(_ xs: [Float]) -> () -> [ArraySlice<Float>] { { calls += 1; return xs.map { features($0) } } }
        let vouched = policy.decide(logits: lateral, features: features(64), headerConfirmsChest: true, turned: turns([12.25, 10.24, 2.25]))
        #expect(vouched.outcome == .uncertain && vouched.view == nil && vouched.mostLikely == .lateral && vouched.turnToUpright == 270)
        #expect(vouched.reason == "the film looks stored turned: turned 270 degrees clockwise it lies nearer the training films (content distance "
                + "1.5, against 8.0 as stored; limit 3.0)")
        #expect(ViewPrediction(file: "f", decision: vouched, headerViewPosition: nil).line
                == "f\tuncertain (L?) (looks stored turned: 270 degrees clockwise sets it upright)\t0.9500\tno header view\tno-header")
        let unvouched = policy.decide(logits: lateral, features: features(64), headerConfirmsChest: false, turned: turns([2.25, 10.24, 12.25]))
        #expect(unvouched.outcome == .notChest && unvouched.turnToUpright == 90)
        #expect(unvouched.reason == "not a chest radiograph as stored (content distance 8.0, limit 3.0), but turned 90 degrees clockwise it lies within "
                + "the limit (1.5): if it is a chest film stored turned, turn it upright and run it again")
        // No turn within the limit, or none clearly nearer (1.5 against 4: less than 4 nearer): the header's word stands
        // (view written), or the picture is not a chest radiograph.
        for (stored, xs) in [(Float(64), [Float(12.25), 10.24, 9.61]), (16, [12.25, 10.24, 2.25])] {
            let stillFar = policy.decide(logits: lateral, features: features(stored), headerConfirmsChest: true, turned: turns(xs))
            #expect(stillFar.outcome == .view && stillFar.view == .lateral && stillFar.turnToUpright == nil)
            let notChest = policy.decide(logits: lateral, features: features(stored), headerConfirmsChest: false, turned: turns(xs))
            #expect(notChest.outcome == .notChest && notChest.reason?.hasPrefix("not a chest radiograph (content distance") == true)
        }
        #expect(calls == 6)
        // Within the limit as stored (a wider one, 10): a turn 5 nearer still makes it turned, one 2 nearer does not.
        let wide = try self.policy(limit: 10)
        let within = wide.decide(logits: pa, features: features(81), headerConfirmsChest: false, turned: turns([16, 100, 100]))
        #expect(within.outcome == .uncertain && within.view == nil && within.turnToUpright == 90 && within.contentDistance == 9)
        let upright = wide.decide(logits: pa, features: features(36), headerConfirmsChest: false, turned: turns([16, 100, 100]))
        #expect(upright.outcome == .view && upright.view == .pa && upright.turnToUpright == nil)
        // Without a content check the turns are never computed.
        calls = 0
        let noCheck = ViewDecisionPolicy(model: try ModelFile(path: try makeModelFile([.pa, .ap, .lateral], in: TestPaths.temporaryDirectory("policy-nc"),
                                                                                       name: "nc", threshold: 0.9)))
        #expect(noCheck.decide(logits: pa, features: features(64), headerConfirmsChest: true, turned: turns([0, 0, 0])).outcome == .view && calls == 0)
    }

    @Test("a burned-in AP marker makes a surely frontal film AP and vetoes a PA, a PA marker makes it PA; read only when it can matter")
    func markers() throws {
        let policy = try policy()
        var reads = 0
        func marker(_ word: String?) -> () -> String? { { reads += 1; return word } }
        // Frontal, AP/PA uncertain + PORTABLE → AP, recorded with its marker.
        let settled = policy.decide(logits: logits([0.55, 0.44, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PORTABLE"))
        #expect(settled.outcome == .view && settled.view == .ap && settled.marker == "PORTABLE" && settled.reason == nil)
        #expect(settled.mostLikely == .pa, "the network's own most likely class is kept")
        // A PA the network is sure of, with a marker: they disagree, nothing is written.
        let vetoed = policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false, marker: marker("SUPINE"))
        #expect(vetoed.outcome == .frontalUncertain && vetoed.view == nil && vetoed.marker == "SUPINE")
        #expect(vetoed.reason == "the network says PA (p 0.950), but the film carries a burned-in SUPINE marker, which means AP")
        // PRONE withholds a PA but makes no film AP: a prone frontal film is taken postero-anterior.
        let prone = policy.decide(logits: logits([0.55, 0.44, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PRONE"))
        #expect(prone.outcome == .frontalUncertain && prone.view == nil && prone.marker == "PRONE")
        #expect(prone.reason?.hasSuffix("; a burned-in PRONE marker: taken lying face down, neither AP nor a standing PA") == true, "\(prone.reason ?? "")")
        let pronePA = policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PRONE"))
        #expect(pronePA.outcome == .frontalUncertain && pronePA.reason == "the network says PA (p 0.950), but the film carries a burned-in PRONE marker, which means no standing PA film")
        var proneWords = RadiographTags(); proneWords.descriptions = ["SeriesDescription": "CHEST AP PORTABLE"]
        #expect(policy.decide(logits: logits([0.55, 0.44, 0.01]), features: near, headerConfirmsChest: false, headerText: HeaderViewText(tags: proneWords),
                              marker: marker("PRONE")).outcome == .frontalUncertain, "the header's words do not override a PRONE marker")
        reads -= 3
        // A PA marker settles a surely frontal film as PA, leaves a PA the network is sure of as it is (it agrees),
        // and a burned-in AP marker stays a veto whatever else the film reads (`BurnedInText.marker` gives it first).
        let paSettled = policy.decide(logits: logits([0.30, 0.69, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PA ERECT"))
        #expect(paSettled.outcome == .view && paSettled.view == .pa && paSettled.marker == "PA ERECT" && paSettled.reason == nil)
        #expect(paSettled.mostLikely == .ap && paSettled.basis == "from a burned-in PA ERECT marker on a surely frontal film (the network alone: AP/PA uncertain)")
        // A lone PA label read with confidence settles it the same way.
        let lonePA = policy.decide(logits: logits([0.30, 0.69, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PA"))
        #expect(lonePA.outcome == .view && lonePA.view == .pa && lonePA.basis == "from a burned-in PA marker on a surely frontal film (the network alone: AP/PA uncertain)")
        let paAgrees = policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false, marker: marker("PA SITTING"))
        #expect(paAgrees == policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false))
        // The header's words against it withhold it as they withhold the network's PA; so does a bedside distance.
        var apWords = RadiographTags(); apWords.descriptions = ["SeriesDescription": "CHEST AP"]
        #expect(policy.decide(logits: logits([0.30, 0.69, 0.01]), features: near, headerConfirmsChest: true, headerText: HeaderViewText(tags: apWords),
                              marker: marker("PA ERECT")).outcome == .frontalUncertain)
        var bedside = RadiographTags(); bedside.sourceToDetectorDistance = 1000
        let short = policy.decide(logits: logits([0.30, 0.69, 0.01]), features: near, headerConfirmsChest: true, headerText: HeaderViewText(tags: bedside),
                                  marker: marker("PA ERECT"))
        #expect(short.outcome == .frontalUncertain && short.reason?.hasPrefix("a burned-in PA ERECT marker says PA, but Distance Source to Detector") == true,
                "\(short.reason ?? "")")
        #expect(ViewDecision.markerNote("PA ERECT", viewWritten: false) == " (burned-in PA ERECT marker)")
        #expect(ViewDecision.markerNote("SUPINE", viewWritten: false) == " (burned-in SUPINE marker against the network's PA)")
        reads -= 5
        // No marker: the network's decision stands.
        let plain = policy.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: false, marker: marker(nil))
        #expect(plain.outcome == .view && plain.view == .pa && plain.marker == nil)
        #expect(reads == 3)
        // Not read where it cannot matter: an AP, a lateral, a film not surely frontal, a non-chest picture.
        for p in [[0.04, 0.95, 0.01], [0.05, 0.02, 0.93], [0.5, 0.1, 0.4]] {
            let d = policy.decide(logits: logits(p), features: near, headerConfirmsChest: false, marker: marker("PORTABLE"))
            #expect(d == policy.decide(logits: logits(p), features: near, headerConfirmsChest: false), "\(p)")
        }
        let far = ArraySlice([Float](repeating: 10, count: 512))
        #expect(policy.decide(logits: logits([0.55, 0.44, 0.01]), features: far, headerConfirmsChest: false, marker: marker("PORTABLE")).outcome == .notChest)
        #expect(reads == 3)
        // A model without an AP class (PA/L, as the first models) never reads markers.
        let twoClass = ViewDecisionPolicy(model: try ModelFile(path: try makeModelFile([.pa, .lateral], in: TestPaths.temporaryDirectory("policy-2"), name: "two", threshold: 0.9)))
        #expect(twoClass.decide(logits: logits([0.95, 0.05]), features: near, headerConfirmsChest: true, marker: marker("PORTABLE")).view == .pa)
        #expect(reads == 3)
    }

    @Test("the header's words withhold a view they contradict and settle a surely frontal film as AP, never against the network's PA")
    func headerWords() throws {
        let policy = try policy()
        func words(_ d: [String: String]) -> HeaderViewText { var t = RadiographTags(); t.descriptions = d; return HeaderViewText(tags: t) }
        func decide(_ p: [Double], _ d: [String: String], marker: String? = nil) -> ViewDecision {
            policy.decide(logits: logits(p), features: near, headerConfirmsChest: true, headerText: words(d), marker: { marker })
        }
        let pa = [0.95, 0.04, 0.01], frontal = [0.55, 0.44, 0.01], lateral = [0.05, 0.02, 0.93], ap = [0.04, 0.95, 0.01]
        // A PA against "AP PORTABLE": frontal, AP/PA uncertain, and why.
        let vetoed = decide(pa, ["SeriesDescription": "CHEST AP PORTABLE"])
        #expect(vetoed.outcome == .frontalUncertain && vetoed.view == nil)
        #expect(vetoed.reason == "the network says PA (p 0.950), but Series Description says AP (AP, PORTABLE)")
        #expect(vetoed.headerText == "Series Description says AP (AP, PORTABLE)")
        // A lateral against a frontal-only description, a frontal view against a lateral-only one: uncertain.
        #expect(decide(lateral, ["ProtocolName": "Chest PA"]).outcome == .uncertain)
        #expect(decide(ap, ["StudyDescription": "CHEST LAT"]).outcome == .uncertain)
        // An order that names the view among others, or none, leaves it.
        #expect(decide(pa, ["StudyDescription": "XR CHEST PA AND LATERAL"]).view == .pa)
        #expect(decide(lateral, ["StudyDescription": "XR CHEST PA AND LATERAL"]).view == .lateral)
        #expect(decide(pa, ["SeriesDescription": "CHEST 1 VIEW"]) == decide(pa, [:]))
        // Surely frontal and the words say AP: AP, with its basis.
        let settled = decide(frontal, ["SeriesDescription": "Chest portable", "StudyDescription": "XR CHEST 1 VIEW"])
        #expect(settled.outcome == .view && settled.view == .ap && settled.reason == nil)
        #expect(settled.basis == "from the header's words on a surely frontal film (Series Description says AP (PORTABLE); the network alone: AP/PA uncertain)")
        // Not when any description names PA, nor for a film the network does not call surely frontal.
        #expect(decide(frontal, ["SeriesDescription": "CHEST AP", "StudyDescription": "CHEST PA"]).outcome == .frontalUncertain)
        #expect(decide(frontal, ["SeriesDescription": "AP/PA"]).outcome == .frontalUncertain)
        #expect(decide([0.5, 0.1, 0.4], ["SeriesDescription": "CHEST AP"]).outcome == .uncertain)
        // A PA the burned-in marker vetoed stays withheld though the words say AP (the network said PA).
        let markerVeto = decide(pa, ["SeriesDescription": "CHEST AP"], marker: "SUPINE")
        #expect(markerVeto.outcome == .frontalUncertain && markerVeto.marker == "SUPINE")
        // An AP a marker settled is withheld when the words name PA alone.
        let markerAP = decide(frontal, ["ProtocolName": "THORAX PA"], marker: "PORTABLE")
        #expect(markerAP.outcome == .frontalUncertain && markerAP.reason == "a burned-in PORTABLE marker says AP, but Protocol Name says PA (PA)")
        #expect(markerAP.marker == nil && markerAP.headerText == "Protocol Name says PA (PA)")
    }

    @Test("Patient Orientation withholds a view of the other family and any view on a film it says is stored turned; it makes none")
    func patientOrientation() throws {
        let policy = try policy()
        func decide(_ p: [Double], _ orientation: String?, words: [String: String] = [:], marker: String? = nil) -> ViewDecision {
            var t = RadiographTags()
            t.patientOrientation = orientation
            t.descriptions = words
            return policy.decide(logits: logits(p), features: near, headerConfirmsChest: true, headerText: HeaderViewText(tags: t), marker: { marker })
        }
        let pa = [0.95, 0.04, 0.01], frontal = [0.55, 0.44, 0.01], lateral = [0.05, 0.02, 0.93], ap = [0.04, 0.95, 0.01]
        // Agreeing, mirrored, or saying nothing: the view stands, the decision unchanged.
        #expect(decide(pa, "L\\F") == decide(pa, nil))
        #expect(decide(ap, "R\\F") == decide(ap, nil))
        #expect(decide(lateral, "A\\F") == decide(lateral, nil))
        #expect(decide(lateral, "L\\P") == decide(lateral, nil))
        // The other family: uncertain, and why.
        let lateralOnFrontal = decide(lateral, "L\\F")
        #expect(lateralOnFrontal.outcome == .uncertain && lateralOnFrontal.view == nil && lateralOnFrontal.turnToUpright == nil)
        #expect(lateralOnFrontal.reason == "the network says L (p 0.930), but Patient Orientation says frontal (L\\F)")
        #expect(lateralOnFrontal.headerText == "Patient Orientation says frontal (L\\F)")
        #expect(decide(pa, "P\\F").reason == "the network says PA (p 0.950), but Patient Orientation says lateral (P\\F)")
        // Stored turned: no view whatever the family, the turn named.
        let turned = decide(pa, "H\\L")
        #expect(turned.outcome == .uncertain && turned.turnToUpright == 270)
        #expect(turned.reason == "the network says PA (p 0.950), but Patient Orientation says stored turned (H\\L): turned 270 degrees clockwise it is upright")
        // An AP the header's words or a marker settled is withheld as well, and the reason says who said AP.
        let words = decide(frontal, "F\\R", words: ["SeriesDescription": "CHEST PORTABLE"])
        #expect(words.outcome == .uncertain && words.turnToUpright == 90 && words.marker == nil)
        #expect(words.reason == "the header's words say AP (Series Description says AP (PORTABLE)), but Patient Orientation says stored turned (F\\R): turned 90 degrees clockwise it is upright")
        let marked = decide(frontal, "A\\F", marker: "PORTABLE")
        #expect(marked.outcome == .uncertain && marked.marker == nil && marked.reason == "a burned-in PORTABLE marker says AP, but Patient Orientation says lateral (A\\F)")
        // No view anyway: a turn is told, nothing else changes; a frontal-uncertain film stays one.
        let unsure = decide(frontal, "R\\H")
        #expect(unsure.outcome == .frontalUncertain && unsure.turnToUpright == 180 && unsure.reason?.hasSuffix("; Patient Orientation says stored turned (R\\H): turned 180 degrees clockwise it is upright") == true)
        #expect(decide(frontal, "A\\F") == decide(frontal, nil))
    }

    @Test("Distance Source to Detector short of a chest stand's withholds a PA view; it withholds nothing else and makes none")
    func sourceDistance() throws {
        let policy = try policy()
        func decide(_ p: [Double], _ millimetres: Double?, words: [String: String] = [:], orientation: String? = nil) -> ViewDecision {
            var t = RadiographTags()
            t.sourceToDetectorDistance = millimetres
            t.descriptions = words
            t.patientOrientation = orientation
            return policy.decide(logits: logits(p), features: near, headerConfirmsChest: true, headerText: HeaderViewText(tags: t), marker: { nil })
        }
        let pa = [0.95, 0.04, 0.01], frontal = [0.55, 0.44, 0.01], lateral = [0.05, 0.02, 0.93], ap = [0.04, 0.95, 0.01]
        // At a chest stand, or a value no chest film has (centimetres, a broken header): nothing changes.
        for millimetres in [1400, 1500, 1829, 1996, 180, 72, 0, -1000, 10_000, .nan, .infinity] as [Double] {
            #expect(decide(pa, millimetres) == decide(pa, nil), "\(millimetres)")
        }
        // Short of it: the PA is withheld, the film stays surely frontal, and the reason says why.
        let bedside = decide(pa, 1000)
        #expect(bedside.outcome == .frontalUncertain && bedside.view == nil && bedside.headerText == "Distance Source to Detector says not PA (1000 mm)")
        #expect(bedside.reason == "the network says PA (p 0.950), but Distance Source to Detector says not PA (1000 mm): a PA chest film is taken standing at a chest stand, 1500 mm or more from the tube")
        #expect(decide(pa, 1399.6).outcome == .frontalUncertain && decide(pa, 500).outcome == .frontalUncertain)
        // AP, a lateral and a film with no view are left as they are; no view is made.
        for p in [ap, lateral, frontal] { #expect(decide(p, 1000) == decide(p, nil)) }
        // Words that say PA do not outweigh it; words that settle a surely frontal film as AP are not contradicted.
        #expect(decide(pa, 1000, words: ["SeriesDescription": "CHEST PA"]).outcome == .frontalUncertain)
        #expect(decide(frontal, 1000, words: ["SeriesDescription": "CHEST PORTABLE"]).view == .ap)
        // A film Patient Orientation says is stored turned: the turn is still told.
        #expect(decide(pa, 1000, orientation: "F\\R").turnToUpright == 90)
        // A PA that passed its own threshold while the frontal classes together fall short of the one threshold is
        // withheld as uncertain, not "frontal": the same rule as the network's own.
        var lower = policy
        lower.classThresholds = [0.8, 0.8, 0.8]
        var t = RadiographTags()
        t.sourceToDetectorDistance = 1000
        let weak = logits([0.85, 0.02, 0.13])
        #expect(lower.decide(logits: weak, features: near, headerConfirmsChest: true, marker: { nil }).view == .pa)
        #expect(lower.decide(logits: weak, features: near, headerConfirmsChest: true, headerText: HeaderViewText(tags: t), marker: { nil }).outcome == .uncertain)
    }

    @Test("per-class thresholds from the model file; --threshold replaces them all")
    func perClass() throws {
        let dir = TestPaths.temporaryDirectory("policy-classes")
        let model = try ModelFile(path: try makeModelFile([.pa, .ap, .lateral], in: dir, name: "c", threshold: 0.95,
                                                          classThresholds: ["PA": 0.8, "AP": 0.97, "L": 0.8]))
        #expect(model.classThresholds == ["PA": 0.8, "AP": 0.97, "L": 0.8])
        let policy = ViewDecisionPolicy(model: model)
        #expect(policy.classThresholds == [0.8, 0.97, 0.8])
        #expect(policy.thresholdSummary == "PA 0.800, AP 0.970, L 0.800")
        let ap = policy.decide(logits: logits([0.04, 0.95, 0.01]), features: near, headerConfirmsChest: true)
        #expect(ap.outcome == .frontalUncertain)
        let pa = policy.decide(logits: logits([0.85, 0.14, 0.01]), features: near, headerConfirmsChest: true)
        #expect(pa.outcome == .view && pa.view == .pa)
        let user = ViewDecisionPolicy(model: model, threshold: 0.9)
        #expect(user.classThresholds == [0.9, 0.9, 0.9] && user.threshold == 0.9)
        #expect(user.decide(logits: logits([0.04, 0.95, 0.01]), features: near, headerConfirmsChest: true).view == .ap)
        #expect(user.decide(logits: logits([0.85, 0.14, 0.01]), features: near, headerConfirmsChest: true).outcome == .frontalUncertain)
    }

    @Test("the temperature softens probabilities before the threshold")
    func temperature() throws {
        let hot = try policy(temperature: 3)
        let d = hot.decide(logits: logits([0.95, 0.04, 0.01]), features: near, headerConfirmsChest: true)
        #expect(d.outcome != .view)
        #expect(d.probability! < 0.9)
    }

    @Test("the content check refuses far images unless the header says chest")
    func content() throws {
        let policy = try policy()
        var far = [Float](repeating: 0, count: 512)
        far[0] = 16  // √16 = 4 from the mean along a unit-variance axis: distance 4 > limit 3
        let refused = policy.decide(logits: logits([0.99, 0.005, 0.005]), features: ArraySlice(far), headerConfirmsChest: false)
        #expect(refused.outcome == .notChest && refused.view == nil)
        #expect(abs(refused.contentDistance! - 4) < 1e-6)
        let kept = policy.decide(logits: logits([0.99, 0.005, 0.005]), features: ArraySlice(far), headerConfirmsChest: true)
        #expect(kept.outcome == .view)
    }

    @Test("header agreement: AP with AP agrees, with PA disagrees; LATERAL agrees with L; LLD is not understood")
    func agreement() throws {
        let policy = try policy()
        let ap = policy.decide(logits: logits([0.02, 0.97, 0.01]), features: near, headerConfirmsChest: true)
        #expect(ViewPrediction(file: "f", decision: ap, headerViewPosition: "AP").agreement == .agree)
        #expect(ViewPrediction(file: "f", decision: ap, headerViewPosition: "PA").agreement == .disagree)
        #expect(ViewPrediction(file: "f", decision: ap, headerViewPosition: nil).agreement == .noHeader)
        #expect(ViewPrediction(file: "f", decision: ap, headerViewPosition: "LLD").agreement == .headerNotUnderstood)
        let l = policy.decide(logits: logits([0.02, 0.01, 0.97]), features: near, headerConfirmsChest: true)
        #expect(ViewPrediction(file: "f", decision: l, headerViewPosition: "LATERAL").agreement == .agree)
        let frontal = policy.decide(logits: logits([0.5, 0.49, 0.01]), features: near, headerConfirmsChest: true)
        #expect(ViewPrediction(file: "f", decision: frontal, headerViewPosition: "AP").agreement == .undecided)
        // A DX may name its view by View Code Sequence alone: the code is the header's view.
        func header(_ position: String?, _ code: String?, _ meaning: String? = nil) -> String? {
            var t = RadiographTags()
            t.viewPosition = position; t.viewCodeValue = code; t.viewCodeMeaning = meaning
            return t.headerView
        }
        #expect(header(nil, "399348003", "antero-posterior") == "AP" && header(nil, "R-10206") == "AP" && header(nil, "R-10232") == "LL")
        #expect(header("PA", "399348003") == "PA", "ViewPosition first")
        #expect(header(nil, nil) == nil && header("", nil) == nil)
        #expect(ViewPrediction(file: "f", decision: ap, headerViewPosition: header(nil, "272479007")).agreement == .disagree)
        let oblique = header(nil, "399255004", "left anterior oblique")
        #expect(oblique == "left anterior oblique" && ViewPrediction(file: "f", decision: ap, headerViewPosition: oblique).agreement == .headerNotUnderstood)
    }

    @Test("threshold validation is one rule for classify and process")
    func validation() {
        #expect(ViewDecisionPolicy.validate(threshold: 0.9) == nil)
        #expect(ViewDecisionPolicy.validate(threshold: 1) == nil)
        #expect(ViewDecisionPolicy.validate(threshold: 0.3) != nil)
        #expect(ViewDecisionPolicy.validate(threshold: 1.2) != nil)
    }
}

struct CalibrationTests {
    @Test("temperature scaling recovers the temperature that generated the labels")
    func recovers() {
        // Logits scaled by 2.5 with labels drawn from softmax(logits / 2.5): the NLL minimum is near 2.5.
        var rng = SplitMix64(seed: 4)
        var logits: [Float] = [], labels: [Int] = []
        for _ in 0..<4000 {
            let base = (0..<3).map { _ in Float.random(in: -2...2, using: &rng) }
            let p = SoftmaxCrossEntropy.softmax(base, classes: 3)
            let u = Float.random(in: 0..<1, using: &rng)
            labels.append(u < p[0] ? 0 : (u < p[0] + p[1] ? 1 : 2))
            logits += base.map { $0 * 2.5 }
        }
        let t = Calibration.fitTemperature(logits: logits, labels: labels, classes: 3)
        #expect(abs(t - 2.5) < 0.2, "T = \(t)")
        let nll = { (t: Double) in Calibration.negativeLogLikelihood(logits: logits, labels: labels, classes: 3, temperature: t) }
        #expect(nll(t) <= nll(1) && nll(t) <= nll(t * 1.1) && nll(t) <= nll(t / 1.1))
    }
}

struct RiskCoverageTests {
    @Test("counts per threshold on a hand-made case, and the chosen threshold keeps the tail under the risk")
    func curve() {
        // PA 0.95 right; AP 0.85 right; PA-labelled called AP at 0.92 (wrong); L 0.99 right; AP with PA 0.5 / AP 0.45.
        let p: [Float] = [0.95, 0.04, 0.01, 0.1, 0.85, 0.05, 0.05, 0.92, 0.03, 0.005, 0.005, 0.99, 0.5, 0.45, 0.05]
        let labels = [0, 1, 0, 2, 1]
        let curve = RiskCoverage(probabilities: p, labels: labels, views: [.pa, .ap, .lateral], thresholds: [0.8, 0.9, 0.93])
        let at08 = curve.points[0], at09 = curve.points[1], at093 = curve.points[2]
        #expect(at08.tagged == 4 && at08.wrong == 1 && at08.frontalUncertain == 1)
        #expect(at08.perClass.map(\.films) == [2, 2, 1])
        #expect(at09.tagged == 3 && at09.wrong == 1)
        #expect(at093.tagged == 2 && at093.wrong == 0)
        #expect(curve.threshold(maximumRisk: 0.01) == 0.93)
        #expect(curve.threshold(maximumRisk: 0.4) == 0.8)
        // By prediction: AP was written twice at 0.8 (one wrong), PA once, L once.
        #expect(at08.perPrediction.map(\.tagged) == [1, 2, 1] && at08.perPrediction.map(\.wrong) == [0, 1, 0])
        // Per class: PA and L are never wrong (floor 0.8); AP needs 0.93 to be.
        #expect(curve.thresholdsPerClass(maximumRisk: 0.01, floor: 0.8) == [0.8, 0.93, 0.8])
        let operating = RiskCoverage.point(probabilities: p, labels: labels, views: [.pa, .ap, .lateral], thresholds: [0.8, 0.93, 0.8],
                                           frontalThreshold: 0.8)
        #expect(operating.tagged == 2 && operating.wrong == 0)
    }
}

struct ContentCheckTests {
    @Test("the Mahalanobis distance of a fitted Gaussian: the training rows are near, a shifted row is far")
    func fit() throws {
        var rng = SplitMix64(seed: 8)
        let d = 16, n = 200
        let rows = (0..<(n * d)).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        let check = try #require(ContentCheck.fit(features: rows, dimension: d, limit: 10))
        let near = check.distances(features: rows)
        #expect(near.reduce(0, +) / Double(n) < 5)
        var far = Array(rows[0..<d])
        for j in 0..<d { far[j] = 9 }
        #expect(check.distance(features: far[...]) > 3 * near.max()!)
    }
}

struct PadChestTests {
    let dir = TestPaths.temporaryDirectory("padchest")

    @Test("PadChest's CSV: projections mapped, COSTAL and EXCLUDE skipped and counted, patients from PatientID")
    func labels() throws {
        let images = dir.appendingPathComponent("images")
        for (sub, name) in [("0", "a.png"), ("0", "b.png"), ("1", "c.png"), ("1", "d.png"), ("2", "e.png"), ("2", "f.png")] {
            try FileManager.default.createDirectory(at: images.appendingPathComponent(sub), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: images.appendingPathComponent("\(sub)/\(name)").path, contents: Data([0]))
        }
        let csv = """
            ImageID,ImageDir,StudyDate_DICOM,StudyID,PatientID,PatientBirth,PatientSex_DICOM,ViewPosition_DICOM,Projection,Labels
            a.png,0,20150101,s1,p1,1950,M,POSTEROANTERIOR,PA,"['normal', 'cardiomegaly']"
            b.png,0,20150101,s1,p1,1950,M,LATERAL,L,"['normal']"
            c.png,1,20150102,s2,p2,1960,F,AP,AP,"['pneumonia']"
            d.png,1,20150102,s2,p2,1960,F,,AP_horizontal,"['line, central']"
            e.png,2,20150103,s3,p3,1970,F,,COSTAL,"['rib fracture']"
            f.png,2,20150103,s3,p3,1970,F,,EXCLUDE,"['exclude']"
            missing.png,3,20150104,s4,p4,1980,M,PA,PA,"['normal']"

            """
        let path = dir.appendingPathComponent("PADCHEST_labels.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let data = try Dataset.load(path, images: images.path)
        #expect(data.classes == [.pa, .ap, .lateral])
        #expect(data.images.map { data.classes[$0.label].name } == ["PA", "L", "AP", "AP"])
        #expect(data.images.map(\.patientID) == ["padchest-p1", "padchest-p1", "padchest-p2", "padchest-p2"])
        #expect(data.images[0].path.hasSuffix("images/0/a.png"))
        #expect(data.skipped == ["projection COSTAL": 1, "projection EXCLUDE": 1, "image not found (\(images.path)/3/missing.png)": 1])
        // Relabelled to a model's class order.
        let relabelled = try data.relabelled(to: [.lateral, .pa, .ap])
        #expect(relabelled.images.map(\.label) == [1, 0, 2, 2])
        #expect(throws: DatasetError.self) { try data.relabelled(to: [.pa, .lateral]) }
    }
}
