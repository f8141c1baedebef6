import Classifier
import TensorEngine
import Explain
import Preprocess
import Testing

struct DeletionInsertionTests {
    @Test("trapezoid AUC on hand-checked curves")
    func auc() {
        #expect(DeletionInsertion.auc([1, 1, 1]) == 1)
        #expect(DeletionInsertion.auc([1, 0]) == 0.5)
        #expect(DeletionInsertion.auc([0, 1, 0, 1, 0]) == 0.5)
    }

    @Test("curves start and end where they must: original, all black; blurred, original")
    func endpoints() throws {
        let net = try CAMTests.network()
        let options = NetworkInputOptions(size: 101)
        let gray = (0..<(101 * 101)).map { Float(($0 * 29) % 101) / 101 }
        let map = DeletionInsertion.randomMap(count: gray.count, seed: 1)
        let r = DeletionInsertion(steps: 8).evaluate(network: net, gray: gray, options: options, map: map, targetClass: 1)
        let ws = net.makeWorkspace(batch: 1)
        func p(_ g: [Float]) -> Double { Double(Trainer.predict(net, grays: [g], workspace: ws, options: options)[1]) }
        #expect(r.deletionCurve.count == 9 && r.insertionCurve.count == 9)
        #expect(abs(r.deletionCurve[0] - p(gray)) < 1e-6)
        #expect(abs(r.deletionCurve[8] - p([Float](repeating: 0, count: gray.count))) < 1e-6)
        #expect(abs(r.insertionCurve[0] - p(DeletionInsertion.blurred(gray, side: 101))) < 1e-6)
        #expect(abs(r.insertionCurve[8] - p(gray)) < 1e-6)
        #expect(abs(r.deletionAUC - DeletionInsertion.auc(r.deletionCurve)) < 1e-12)
    }

    @Test("blurring keeps a constant image constant")
    func blur() {
        #expect(DeletionInsertion.blurred([Float](repeating: 0.25, count: 400), side: 20).allSatisfy { abs($0 - 0.25) < 1e-6 })
    }
}
