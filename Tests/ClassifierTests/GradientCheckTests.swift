import Classifier
import Foundation
import TensorEngine
import Testing

/// Central finite differences against the analytic backward passes, on tiny shapes.
/// The layers compute in Float; the loss is accumulated in Double and the step is large enough
/// (1e-3) that Float rounding stays below the tolerance.
struct GradientCheckTests {
    /// loss = Σ r · relu(conv(x)), pooled: conv 3×3/1 pad 1 → ReLU → max-pool 3/2 ceil → global average.
    struct TinyNet {
        let shape = ConvShape(inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 1, height: 6, width: 6)
        let n = 2
        var x: [Float], w: [Float], b: [Float], r: [Float]

        init() {
            var rng = SplitMix64(seed: 7)
            func draw(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &rng) } }
            x = draw(2 * 2 * 36); w = draw(3 * 2 * 9); r = draw(2 * 3)
            // Biases near 3 keep most pre-activations away from ReLU's kink, where differences are meaningless.
            b = draw(3).map { $0 + 3 }
        }

        func loss(x: [Float], w: [Float], b: [Float]) -> Double {
            let (conv, _, pooled, _) = forward(x: x, w: w, b: b)
            _ = conv
            var avg = [Float](repeating: 0, count: n * 3)
            GlobalAvgPool.forward(out: &avg, inp: pooled, channels: 3, batch: n, area: 9)
            return zip(avg, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        func forward(x: [Float], w: [Float], b: [Float]) -> ([Float], [Float], [Float], [Float]) {
            var conv = [Float](repeating: 0, count: 3 * n * 36), col = [Float](repeating: 0, count: shape.columnCount(batch: n))
            Conv2D.forward(out: &conv, inp: x, weight: w, bias: b, shape: shape, batch: n, relu: true, col: &col)
            var pooled = [Float](repeating: 0, count: 3 * n * 9)
            MaxPool2D.forward(out: &pooled, inp: conv, planes: 3 * n, height: 6, width: 6, kernel: 3, stride: 2)
            return (conv, pooled, pooled, col)
        }

        func gradients() -> (dx: [Float], dw: [Float], db: [Float]) {
            var (conv, pooled, _, col) = forward(x: x, w: w, b: b)
            var dpooled = [Float](repeating: 0, count: 3 * n * 9)
            GlobalAvgPool.backward(dinp: &dpooled, dout: r, channels: 3, batch: n, area: 9)
            var dconv = [Float](repeating: 0, count: conv.count)
            MaxPool2D.backward(dinp: &dconv, dout: dpooled, inp: conv, out: pooled, planes: 3 * n, height: 6, width: 6, kernel: 3, stride: 2)
            ReLU.backward(&dconv, out: &conv, count: conv.count)
            var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: 3)
            Conv2D.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: dconv, inp: x, weight: w, shape: shape, batch: n, col: &col)
            return (dx, dw, db)
        }
    }

    @Test("conv + ReLU + max-pool + average-pool gradients agree with finite differences")
    func finiteDifferences() {
        let net = TinyNet()
        let (dx, dw, db) = net.gradients()
        let h: Float = 1e-3
        func check(_ analytic: [Float], perturb: (Int, Float) -> Double, label: String) {
            for i in analytic.indices {
                let numeric = (perturb(i, h) - perturb(i, -h)) / Double(2 * h)
                #expect(abs(numeric - Double(analytic[i])) <= 2e-3 * max(1, abs(numeric)), "\(label)[\(i)]: \(analytic[i]) vs \(numeric)")
            }
        }
        check(dw, perturb: { i, e in var w = net.w; w[i] += e; return net.loss(x: net.x, w: w, b: net.b) }, label: "dw")
        check(db, perturb: { i, e in var b = net.b; b[i] += e; return net.loss(x: net.x, w: net.w, b: b) }, label: "db")
        check(dx, perturb: { i, e in var x = net.x; x[i] += e; return net.loss(x: x, w: net.w, b: net.b) }, label: "dx")
    }

    @Test("softmax cross-entropy gradient agrees with finite differences, with class weights")
    func crossEntropy() {
        let logits: [Float] = [0.3, -1.2, 2.0, 0.1, 0.5, -0.4]
        let labels = [1, 0, 1], weights: [Float] = [1, 3]
        let (_, d) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, classes: 2, weights: weights)
        for i in logits.indices {
            var a = logits, b = logits
            a[i] += 1e-3; b[i] -= 1e-3
            let numeric = (Double(SoftmaxCrossEntropy.forwardBackward(logits: a, labels: labels, classes: 2, weights: weights).loss)
                - Double(SoftmaxCrossEntropy.forwardBackward(logits: b, labels: labels, classes: 2, weights: weights).loss)) / 2e-3
            #expect(abs(numeric - Double(d[i])) < 1e-3, "[\(i)] \(d[i]) vs \(numeric)")
        }
    }

    @Test("label-smoothed, class-weighted cross-entropy matches torch's cross_entropy(weight, label_smoothing) and its gradient")
    func labelSmoothing() {
        let logits: [Float] = [0.3, -1.2, 2.0, 0.1, 0.5, -0.4, 1.5, 0.2, -0.7, -0.3, 0.8, 0.1]
        let labels = [1, 0, 2, 1], weights: [Float] = [1, 3, 0.5]
        // torch 1.13, float64: F.cross_entropy(z, y, weight=w, label_smoothing=0.1) and z.grad after backward().
        let torchLoss = 1.8491106880333652
        let torchGrad = [0.0522967232, -0.3606726675, 0.3083759443, -0.079259182, 0.0540751572, 0.0251840248,
                         0.0533868132, 0.002427523, -0.0558143362, 0.0646968659, -0.165621358, 0.1009244921]
        let (loss, d) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, classes: 3, weights: weights, labelSmoothing: 0.1)
        #expect(abs(Double(loss) - torchLoss) < 1e-5, "\(loss)")
        for i in d.indices { #expect(abs(Double(d[i]) - torchGrad[i]) < 1e-6, "[\(i)] \(d[i]) vs \(torchGrad[i])") }
        // Unweighted, it is the cross-entropy against the smoothed target q = 0.9 · one-hot + 0.1 / 3.
        let (plain, _) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, classes: 3, labelSmoothing: 0.1)
        let p = SoftmaxCrossEntropy.softmax(logits, classes: 3)
        var expected = 0.0
        for n in 0..<4 { for j in 0..<3 { expected -= (0.9 * (j == labels[n] ? 1 : 0) + 0.1 / 3) * log(Double(p[n * 3 + j])) } }
        #expect(abs(Double(plain) - expected / 4) < 1e-5, "\(plain) vs \(expected / 4)")
        // Without smoothing it is the weighted loss Σ w[y] · −log p[y] / Σ w[y].
        let (unsmoothed, _) = SoftmaxCrossEntropy.forwardBackward(logits: logits, labels: labels, classes: 3, weights: weights)
        let weighted = (0..<4).reduce(0.0) { $0 - Double(weights[labels[$1]]) * log(Double(p[$1 * 3 + labels[$1]])) }
            / labels.reduce(0.0) { $0 + Double(weights[$1]) }
        #expect(abs(Double(unsmoothed) - weighted) < 1e-5, "\(unsmoothed) vs \(weighted)")
    }

    @Test("dropout keeps about half, scales kept values by 2, and masks the gradient the same way")
    func dropout() {
        var rng = SplitMix64(seed: 1)
        var x = [Float](repeating: 1, count: 10000), mask = x
        Dropout.forward(&x, mask: &mask, count: x.count, p: 0.5, rng: &rng)
        let kept = x.filter { $0 != 0 }.count
        #expect(abs(kept - 5000) < 250)
        #expect(x.allSatisfy { $0 == 0 || $0 == 2 })
        var g = [Float](repeating: 1, count: 10000)
        Dropout.backward(&g, mask: mask, count: g.count)
        #expect(g == x)
    }
}
