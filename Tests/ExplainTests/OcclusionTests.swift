import Classifier
import TensorEngine
import Explain
import Preprocess
import Testing

/// Occlusion sensitivity: MATLAB's score(original) − score(occluded), averaged over covering masks.
struct OcclusionTests {
    static let options = NetworkInputOptions(size: 101)
    static var gray: [Float] { (0..<(101 * 101)).map { Float(($0 * 37) % 101) / 101 } }

    @Test("one mask over the whole image: every pixel holds p(original) − p(all mask value)")
    func wholeImage() throws {
        let net = try CAMTests.network()
        let (raw, c, p) = OcclusionSensitivity(maskSize: 101, stride: 101, maskValue: 0.3).map(network: net, gray: Self.gray, options: Self.options)
        let ws = net.makeWorkspace(batch: 1)
        let filled = Trainer.predict(net, grays: [[Float](repeating: 0.3, count: 101 * 101)], workspace: ws, options: Self.options)
        let expected = p[c] - filled[c]
        #expect(raw.allSatisfy { abs($0 - expected) < 1e-6 })
    }

    @Test("masking with the image's own (constant) value changes nothing: the map is zero")
    func neutralMask() throws {
        let net = try CAMTests.network()
        let flat = [Float](repeating: 0.4, count: 101 * 101)
        let (raw, _, _) = OcclusionSensitivity(maskSize: 30, stride: 20).map(network: net, gray: flat, options: Self.options)
        #expect(raw.allSatisfy { abs($0) < 1e-6 })
    }
}
