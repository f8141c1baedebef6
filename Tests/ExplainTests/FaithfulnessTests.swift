import Classifier
import TensorEngine
import Explain
import Preprocess
import TestSupport
import Testing

/// DESIGN §6 building blocks: Spearman's ρ against scipy, the cascading randomisation, LIME stability
/// and the dataset table.
struct FaithfulnessTests {
    @Test("Spearman's ρ and average ranks match scipy.stats (values from scipy 1.17)")
    func spearman() {
        #expect(Spearman.ranks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5] as [Double]) == [4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8])
        let a = Spearman.correlation([1, 2, 3, 4, 5] as [Double], [5, 6, 7, 8, 7])!
        #expect(abs(a - 0.8207826816681233) < 1e-12)
        let b = Spearman.correlation([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5] as [Double], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4])!
        #expect(abs(b - 0.1384567651467695) < 1e-12)
        #expect(Spearman.correlation([1, 2, 3] as [Float], [3, 2, 1])! == -1)
        #expect(Spearman.correlation([1, 1, 1] as [Float], [3, 2, 1]) == nil)
    }

    @Test("randomising a stage re-draws exactly that stage's parameters, deterministically")
    func randomiseStage() throws {
        let net = try CAMTests.squeezeNet()
        let stages = net.stagesFromOutput
        #expect(stages.count == 10 && stages.first == "classifier.1" && stages.last == "features.0")
        // Every parameter belongs to exactly one stage.
        for e in net.layout.entries { #expect(stages.filter { e.name.hasPrefix($0 + ".") }.count == 1, "\(e.name)") }
        let copy = net.copy()
        copy.randomise(stage: "features.12", seed: 5)
        let again = net.copy()
        again.randomise(stage: "features.12", seed: 5)
        #expect(copy.parameters.array == again.parameters.array)
        for e in net.layout.entries {
            let before = Array(UnsafeBufferPointer(start: net.parameters.pointer + e.offset, count: e.count))
            let after = Array(UnsafeBufferPointer(start: copy.parameters.pointer + e.offset, count: e.count))
            if !e.name.hasPrefix("features.12.") { #expect(before == after, "\(e.name) changed") }
            else if e.name.hasSuffix(".weight") { #expect(before != after, "\(e.name) not re-drawn") }
            else { #expect(after.allSatisfy { $0 == 0 }) }
        }
    }

    @Test("the cascade gives one ρ per stage in [-1, 1], leaves the model untouched, and is seeded")
    func cascade() throws {
        let net = try CAMTests.network()
        let before = net.members[0].parameters.array
        let check = ModelRandomisation(seed: 3)
        let a = check.run(network: net, input: CAMTests.input0, methods: [.gradCAM, .gradCAMPlusPlus], targetClass: 1)
        #expect(net.members[0].parameters.array == before)
        #expect(a.map(\.stage) == net.members[0].stagesFromOutput)
        for s in a { for (_, r) in s.rho { if let r { #expect(r >= -1 - 1e-9 && r <= 1 + 1e-9) } } }
        let b = check.run(network: net, input: CAMTests.input0, methods: [.gradCAM, .gradCAMPlusPlus], targetClass: 1)
        #expect(a.map { $0.rho["gradcam"]! } == b.map { $0.rho["gradcam"]! })
        // With all weights re-drawn the map no longer tracks the trained model's.
        #expect(abs(a.last!.rho["gradcam"]! ?? 0) < 0.9)
    }

    @Test("LIME stability: the same seed twice gives ρ = 1; different seeds give a reproducible ρ < 1")
    func limeStability() throws {
        let net = try CAMTests.network()
        let options = NetworkInputOptions(size: 101)
        let gray = (0..<(101 * 101)).map { i in Float((i % 101) * (i / 101)) / Float(100 * 100) }
        let lime = LIMEExplainer(samples: 64, slic: SLIC(segments: 12), batch: 16)
        let same = LIMEStability(explainer: lime, seeds: [4, 4]).run(network: net, gray: gray, options: options, targetClass: 0)!
        #expect(same.meanRho == 1 && same.minRho == 1)
        let a = LIMEStability(explainer: lime, seeds: [0, 1, 2]).run(network: net, gray: gray, options: options, targetClass: 0)!
        let b = LIMEStability(explainer: lime, seeds: [0, 1, 2]).run(network: net, gray: gray, options: options, targetClass: 0)!
        #expect(a.meanRho == b.meanRho && a.meanRho < 1 && a.minRho <= a.meanRho)
    }

    @Test("the summary table: means, sample SDs, wins over random and randomisation ρ with constant maps as 0")
    func summary() {
        func result(_ g: Double, _ r: Double, rho: [Double?]) -> FaithfulnessCheck.Result {
            FaithfulnessCheck.Result(
                targetClass: 0, probability: 1,
                scores: ["gradcam": .init(deletionAUC: g, insertionAUC: 1 - g), "random": .init(deletionAUC: r, insertionAUC: 0.5)],
                randomisation: rho.enumerated().map { ModelRandomisation.Stage(stage: "s\($0.offset)", rho: ["gradcam": $0.element]) },
                limeStability: nil, seconds: [:])
        }
        let s = FaithfulnessSummary(results: [result(0.2, 0.5, rho: [0.5, 0.1]), result(0.6, 0.4, rho: [0.3, nil])], methods: ["gradcam"])
        let g = s.methods[0]
        #expect(s.images == 2 && s.methods.map(\.method) == ["gradcam", "random"])
        #expect(abs(g.deletionAUC.mean - 0.4) < 1e-12 && abs(g.deletionAUC.sd - 0.2828427124746190) < 1e-12)
        #expect(g.beatsRandomOnDeletion == 1)
        #expect(abs(g.randomisedConv10Rho!.mean - 0.4) < 1e-12 && abs(g.randomisedAllRho!.mean - 0.05) < 1e-12)
        #expect(g.constantRandomisedMaps == 1)
        #expect(s.methods[1].randomisedConv10Rho == nil && s.limeStability == nil)
    }

    @Test("the per-image check: scores per method and for random, border-masked CAM scores, the band's share of the heat")
    func perImage() throws {
        let net = try CAMTests.network()
        let options = NetworkInputOptions(size: 101)
        let gray = (0..<(101 * 101)).map { i in Float((i % 101) * (i / 101)) / Float(100 * 100) }
        let input = NetworkInput(gray: gray, width: 101, height: 101, options: options)
        var check = FaithfulnessCheck(suite: ExplanationSuite())
        check.scorer = DeletionInsertion(steps: 8)
        check.randomisation = nil
        check.limeSeeds = nil
        check.borderMask = 0.1
        let r = try check.run(network: net, input: input, options: options, methods: [.gradcam])
        #expect(Set(r.scores.keys) == ["gradcam", "gradcam/border", "random"])
        for s in r.scores.values { #expect((0...1).contains(s.deletionAUC) && (0...1).contains(s.insertionAUC)) }
        let share = try #require(r.borderShare?["gradcam"])
        #expect(share >= 0 && share <= 1)
        // Deterministic: the same image gives the same numbers.
        let again = try check.run(network: net, input: input, options: options, methods: [.gradcam])
        #expect(again.scores["gradcam/border"]!.deletionAUC == r.scores["gradcam/border"]!.deletionAUC)
    }
}
