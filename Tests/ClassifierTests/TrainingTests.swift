import Classifier
import TensorEngine
import Foundation
import Preprocess
import TestSupport
import Testing

struct DatasetTests {
    let dir = TestPaths.temporaryDirectory("dataset")

    func manifest(_ rows: [(String, String, String)]) throws -> String {
        let path = dir.appendingPathComponent("MANIFEST.tsv").path
        let text = "file\tlabel\tpatient_id\n" + rows.map { "\($0.0)\t\($0.1)\t\($0.2)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("patient-wise folds never split a patient and spread the rare class")
    func folds() throws {
        var rows: [(String, String, String)] = []
        for p in 0..<20 {
            rows.append(("PA/\(p)-a.png", "PA", "p\(p)"))
            rows.append(("PA/\(p)-b.png", "PA", "p\(p)"))
            if p % 4 == 0 { rows.append(("L/\(p).png", "L", "p\(p)")) }
        }
        let data = try Dataset.load(try manifest(rows))
        #expect(data.images.count == 45)
        #expect(data.classCounts == [40, 5])
        let folds = data.patientFolds(5, seed: 1)
        #expect(folds.flatMap { $0 }.sorted() == Array(0..<45))
        for (i, fold) in folds.enumerated() {
            let patients = Set(fold.map { data.images[$0].patientID })
            for (j, other) in folds.enumerated() where j != i {
                #expect(patients.isDisjoint(with: other.map { data.images[$0].patientID }))
            }
            #expect(fold.contains { data.images[$0].label == 1 }, "fold \(i) has no lateral")
        }
        #expect(data.patientFolds(5, seed: 1) == folds)
        let (train, validation) = data.patientSplit(validationFraction: 0.2, seed: 1)
        #expect(Set(train.map { data.images[$0].patientID }).isDisjoint(with: validation.map { data.images[$0].patientID }))
    }

    @Test("class folders and unknown labels")
    func foldersAndErrors() throws {
        for (folder, file) in [("PA", "a.png"), ("L", "b.png"), ("notes", "c.txt")] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(folder), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("\(folder)/\(file)").path, contents: Data([0]))
        }
        let data = try Dataset.load(dir.path)
        #expect(data.images.map(\.label).sorted() == [0, 1])
        #expect(data.classes == [.pa, .lateral])
        #expect(throws: DatasetError.self) { try Dataset.load(try manifest([("x.png", "OBLIQUE", "p")])) }
        #expect(throws: DatasetError.self) { try Dataset.load(dir.appendingPathComponent("absent").path) }
    }

    @Test("a manifest saved with Windows line ends (CR LF) reads as one with LF; a header alone is refused")
    func manifestLineEnds() throws {
        let rows = [("PA/a.png", "PA", "p1"), ("L/b.png", "L", "p2"), ("PA/c.png", "PA", "p2")]
        let lf = try Dataset.load(try manifest(rows))
        let path = try manifest(rows)
        let crlf = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
        try crlf.write(toFile: path, atomically: true, encoding: .utf8)
        let windows = try Dataset.load(path)
        #expect(windows.images.map(\.path) == lf.images.map(\.path))
        #expect(windows.images.map(\.patientID) == ["p1", "p2", "p2"])
        #expect(windows.classes == [.pa, .lateral])
        try "file\tlabel\tpatient_id\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try Dataset.load(path)
            Issue.record("a header-only manifest loaded")
        } catch let error as DatasetError {
            #expect("\(error)".contains("lists no images"), "\(error)")
        }
    }
}

struct MetricsTests {
    @Test("accuracy, confusion, precision/recall, ROC AUC and ECE on a hand-checked case")
    func metrics() {
        // Four images: PA 0.9, PA 0.4 (wrong), L 0.8, L 0.6 — probabilities of the lateral class.
        let pL: [Float] = [0.1, 0.6, 0.8, 0.6]
        let probabilities = pL.flatMap { [1 - $0, $0] }
        let m = ClassificationMetrics(probabilities: probabilities, labels: [0, 0, 1, 1], classes: 2)
        #expect(m.accuracy == 0.75)
        #expect(m.confusion == [[1, 1], [0, 2]])
        #expect(m.recall == [0.5, 1])
        #expect(abs(m.precision[1] - 2.0 / 3) < 1e-12)
        // Positive scores 0.8, 0.6 vs negatives 0.1, 0.6: wins 1 + 1 + 1 + 0.5 = 3.5 of 4.
        #expect(m.rocAUC == 0.875)
        // Bins: 0.9 (correct) and 0.6, 0.8, 0.6 → bin 6: conf 0.6, 0.6 (one right, one wrong); bin 8: 0.8 right; bin 9: 0.9 right.
        let expected = 0.25 * abs(0.9 - 1) + 0.5 * abs(0.6 - 0.5) + 0.25 * abs(0.8 - 1)
        #expect(abs(m.expectedCalibrationError - expected) < 1e-6)
        #expect(m.balancedAccuracy == 0.75)
    }

    @Test("balanced accuracy averages the recall of the classes that occur (a PadChest subset without laterals)")
    func balancedAccuracyOverOccurringClasses() {
        // Three classes, labels PA, PA, AP: PA both right, AP called PA; no lateral image at all.
        let probabilities: [Float] = [0.8, 0.1, 0.1, 0.7, 0.2, 0.1, 0.6, 0.3, 0.1]
        let m = ClassificationMetrics(probabilities: probabilities, labels: [0, 0, 1], classes: 3)
        #expect(m.recall == [1, 0, 0])
        #expect(m.balancedAccuracy == 0.5)  // (1 + 0) / 2, not (1 + 0 + 0) / 3
    }
}

/// Training on a tiny synthetic task at 64×64: deterministic for a seed, and it learns.
struct TrainingTests {
    /// "PA": bright left half; "L": bright right half.
    static func samples(count: Int) -> [PreparedSample] {
        (0..<count).map { i in
            let label = i % 2
            func image(_ side: Int) -> [Float] {
                (0..<(side * side)).map { p in ((p % side) < side / 2) == (label == 0) ? 0.8 + Float(i % 3) * 0.05 : 0.1 }
            }
            return PreparedSample(image: LabeledImage(path: "synthetic-\(i)", label: label, patientID: "p\(i)"),
                                  evaluationGray: image(64), augmentationBase: image(PreparedSample.baseSide), baseSide: PreparedSample.baseSide)
        }
    }

    static func config() -> TrainingConfig {
        var c = TrainingConfig()
        c.inputSize = 64; c.epochs = 6; c.batchSize = 4; c.learningRate = 1e-3; c.patience = 0; c.seed = 5
        c.classes = [.pa, .lateral]
        return c
    }

    @Test("the same seed gives the same weights; the model learns a separable task")
    func deterministicAndLearns() throws {
        let train = Self.samples(count: 8), validation = Self.samples(count: 4)
        var runs: [[Float]] = []
        var lastLoss = 0.0, firstLoss = 0.0
        for _ in 0..<2 {
            let trainer = Trainer(config: Self.config())
            let net = try trainer.makeModel()
            let outcome = trainer.train(model: net, train: train, validation: validation) { _ in }
            runs.append(net.parameters.array)
            firstLoss = outcome.history.first!.loss
            lastLoss = outcome.history.last!.loss
        }
        #expect(runs[0] == runs[1])
        #expect(lastLoss < firstLoss, "loss \(firstLoss) → \(lastLoss)")
    }

    @Test("a soup's members start from one initialisation, member 1 is the plain run, the soup is their mean; an ensemble keeps members of their own seeds")
    func soup() throws {
        let train = Self.samples(count: 8)
        var config = Self.config()
        config.epochs = 3
        config.soupMembers = 3
        // Every member starts from the base seed's initialisation but trains with its own seed.
        let start = try Trainer(config: config).makeModel().parameters.array
        for m in 0..<3 {
            #expect(config.member(m).seed == config.seed + UInt64(m))
            #expect(try Trainer(config: config.member(m)).makeModel().parameters.array == start)
        }
        let (model, members, outcomes) = try Trainer(config: config).trainModel(train: train, validation: []) { _, _ in }
        #expect(members.count == 3 && outcomes.count == 3 && model.members.count == 1)
        let soup = model.members[0]
        var plain = config
        plain.soupMembers = nil
        let single = try Trainer(config: plain).makeModel()
        _ = Trainer(config: plain).train(model: single, train: train, validation: []) { _ in }
        #expect(members[0].parameters.array == single.parameters.array)
        #expect(members[1].parameters.array != members[0].parameters.array)
        let p = soup.parameters.array, a = members.map(\.parameters.array)
        for i in Swift.stride(from: 0, to: p.count, by: 997) {
            #expect(p[i] == Float((Double(a[0][i]) + Double(a[1][i]) + Double(a[2][i])) / 3))
        }
        // An ensemble's member m starts where a plain run of seed + m starts, and all members are kept.
        var own = config
        own.soupMembers = nil
        own.ensembleMembers = 3
        for m in 1..<3 {
            var plainSeed = plain
            plainSeed.seed = config.seed + UInt64(m)
            let first = try Trainer(config: own.member(m)).makeModel().parameters.array
            #expect(first == (try Trainer(config: plainSeed).makeModel().parameters.array))
            #expect(first != start)
        }
        // Without --soup the one network is the member.
        let (one, only, _) = try Trainer(config: plain).trainModel(train: train, validation: []) { _, _ in }
        #expect(only.count == 1 && one.members.count == 1 && one.members[0].parameters.array == single.parameters.array)
        own.epochs = 1
        let (ensemble, ensembleMembers, _) = try Trainer(config: own).trainModel(train: train, validation: []) { _, _ in }
        #expect(ensemble.members.count == 3 && ensemble.members.map(\.parameters.array) == ensembleMembers.map(\.parameters.array))
    }

    @Test("augmentation .none reproduces the centre; a seeded augmentation is repeatable and stays in [0, 1]")
    func augmentation() {
        let side = 32
        let src = (0..<(side * side)).map { Float($0 % side) / Float(side) }
        var rng = SplitMix64(seed: 1)
        let same = Augmentation.none.apply(src, side: side, size: side, rng: &rng)
        #expect(zip(same, src).allSatisfy { abs($0 - $1) < 1e-5 })
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        let x = Augmentation().apply(src, side: side, size: 16, rng: &a), y = Augmentation().apply(src, side: side, size: 16, rng: &b)
        #expect(x == y)
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}

struct OptimizerScaleTests {
    /// Parameters 0..<4 with scale `scale`, 4..<8 with the plain rate, after three steps of the same gradients.
    func steps(_ make: () -> any Optimizer, scale: Float?) -> [Float] {
        var optimizer = make()
        let p = FloatBuffer(count: 8), g = FloatBuffer(count: 8)
        for i in 0..<8 { p.pointer[i] = Float(i) - 3.5; g.pointer[i] = 0.25 * Float(i % 3) - 0.2 }
        for _ in 0..<3 {
            if let scale { optimizer.step(parameters: p, gradients: g, learningRate: 0.1, scales: [(0..<4, scale)]) }
            else { optimizer.step(parameters: p, gradients: g, learningRate: 0.1) }
        }
        return p.array
    }

    @Test("a learning-rate scale of 0 freezes its range (weight decay too); the rest step as without scales",
          arguments: ["adamw", "sgd"])
    func frozenRange(kind: String) {
        let make: () -> any Optimizer = { kind == "adamw" ? AdamW(parameterCount: 8, weightDecay: 0.1) : SGDMomentum(parameterCount: 8) }
        let plain = steps(make, scale: nil), frozen = steps(make, scale: 0), half = steps(make, scale: 0.5)
        #expect(Array(frozen[0..<4]) == [-3.5, -2.5, -1.5, -0.5])
        #expect(Array(frozen[4...]) == Array(plain[4...]))
        #expect(Array(half[4...]) == Array(plain[4...]))
        for i in 0..<4 where plain[i] != Float(i) - 3.5 {
            // Half the rate moves each parameter less than the full rate, and in the same direction.
            let full = plain[i] - (Float(i) - 3.5), partial = half[i] - (Float(i) - 3.5)
            #expect(abs(partial) < abs(full) && partial * full > 0, "parameter \(i): \(partial) vs \(full)")
        }
    }
}
