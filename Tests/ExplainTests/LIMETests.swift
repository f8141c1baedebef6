import Classifier
import TensorEngine
import Explain
import Preprocess
import TestSupport
import Testing

struct LIMETests {
    static let fixture = try! SafeTensors.read(path: TestPaths.packageRoot
        .appendingPathComponent("Tests/ExplainTests/Fixtures/lime.safetensors").path).tensors

    @Test("kernel weights and weighted ridge coefficients match the closed form of the reference script")
    func ridgeParity() {
        let p = 12
        let z = Self.fixture["z"]!.values.map { UInt8($0) }
        let y = Self.fixture["y"]!.values.map(Double.init)
        let lime = LIMEExplainer(samples: y.count)
        let kernel = lime.kernelWeights(z, features: p).map(Float.init)
        let k = TensorComparison("kernel", actual: kernel, expected: Self.fixture["kernel"]!.values)
        #expect(k.ok, "\(k)")
        let fit = lime.fit(z: z, features: p, probabilities: y)!
        let c = TensorComparison("coefficients", actual: fit.weights.map(Float.init), expected: Self.fixture["coefficients"]!.values)
        #expect(c.ok, "\(c)")
        #expect(abs(Float(fit.intercept) - Self.fixture["intercept"]!.values[0]) <= 1e-4)
    }

    @Test("the sample matrix starts all on, is about half on after that, and depends only on the seed")
    func samples() {
        let a = LIMEExplainer(samples: 500, seed: 3).sampleMatrix(features: 40)
        #expect(a.prefix(40).allSatisfy { $0 == 1 })
        let on = a.dropFirst(40).reduce(0) { $0 + Int($1) }
        #expect(abs(Double(on) / Double(499 * 40) - 0.5) < 0.02)
        #expect(a == LIMEExplainer(samples: 500, seed: 3).sampleMatrix(features: 40))
        #expect(a != LIMEExplainer(samples: 500, seed: 4).sampleMatrix(features: 40))
    }

    @Test("SLIC: labels are 0..<count, about the requested number, and follow a strong edge")
    func slic() {
        let side = 64
        let gray = (0..<(side * side)).map { Float(($0 % side) < 32 ? 0.1 : 0.9) }
        let (labels, count) = SLIC(segments: 16).labels(gray: gray, width: side, height: side)
        #expect(Set(labels) == Set((0..<count).map(Int32.init)))
        #expect((8...32).contains(count), "\(count) segments")
        // No superpixel straddles the edge between the dark and bright halves.
        for k in 0..<count {
            let columns = labels.indices.filter { labels[$0] == Int32(k) }.map { $0 % side }
            #expect(columns.allSatisfy { $0 < 32 } || columns.allSatisfy { $0 >= 32 }, "segment \(k)")
        }
    }

    @Test("the same seed gives the same map bit for bit")
    func reproducible() throws {
        let net = try CAMTests.network()
        let options = NetworkInputOptions(size: 101)
        let gray = (0..<(101 * 101)).map { Float(($0 * 13) % 101) / 101 }
        let lime = LIMEExplainer(samples: 48, seed: 11, slic: SLIC(segments: 20), batch: 16)
        let a = lime.explain(network: net, gray: gray, options: options)!
        let b = lime.explain(network: net, gray: gray, options: options)!
        #expect(a.map == b.map)
        #expect(a.weights.count == a.segmentCount)
    }
}
