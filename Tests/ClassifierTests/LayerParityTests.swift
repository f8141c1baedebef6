import Classifier
import TensorEngine
import TestSupport
import Testing

/// Each layer alone against PyTorch (forward and backward), and the fast convolution against the naive one.
struct LayerParityTests {
    static let t = try! Fixtures.load("layers")

    @Test("convolution forward and backward match torch", arguments: [("conv3s2", 3, 9, 4, 3, 2, 0), ("conv3p1", 2, 6, 3, 3, 1, 1), ("conv1", 5, 4, 3, 1, 1, 0)])
    func conv(_ c: (String, Int, Int, Int, Int, Int, Int)) throws {
        let (name, channels, side, k, kernel, stride, pad) = c
        let shape = ConvShape(inChannels: channels, outChannels: k, kernel: kernel, stride: stride, padding: pad, height: side, width: side)
        let n = 2, hw = side * side, pq = shape.outHeight * shape.outWidth
        let x = toCNHW(Self.t["\(name).x"]!.values, n: n, c: channels, hw: hw)
        let w = Self.t["\(name).w"]!.values, b = Self.t["\(name).b"]!.values
        var y = [Float](repeating: 0, count: k * n * pq), yNaive = y
        var col = [Float](repeating: 0, count: max(1, shape.columnCount(batch: n)))
        Conv2D.forward(out: &y, inp: x, weight: w, bias: b, shape: shape, batch: n, relu: false, col: &col)
        Conv2D.forwardNaive(out: &yNaive, inp: x, weight: w, bias: b, shape: shape, batch: n)
        let fwd = TensorComparison("\(name).y", actual: toNCHW(y, n: n, c: k, hw: pq), expected: Self.t["\(name).y"]!.values)
        #expect(fwd.ok, "\(fwd)")
        #expect(TensorComparison("naive", actual: y, expected: yNaive, tolerance: 1e-5).ok)

        let dy = toCNHW(Self.t["\(name).dy"]!.values, n: n, c: k, hw: pq)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: k)
        Conv2D.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: dy, inp: x, weight: w, shape: shape, batch: n, col: &col)
        for (label, actual, expected) in [("dx", toNCHW(dx, n: n, c: channels, hw: hw), Self.t["\(name).dx"]!.values),
                                          ("dw", dw, Self.t["\(name).dw"]!.values), ("db", db, Self.t["\(name).db"]!.values)] {
            let cmp = TensorComparison("\(name).\(label)", actual: actual, expected: expected)
            #expect(cmp.ok, "\(cmp)")
        }
    }

    @Test("ceil-mode max-pool forward and backward match torch", arguments: [("pool8", 8), ("pool13", 13)])
    func pool(_ c: (String, Int)) {
        let (name, side) = c
        let planes = 6, out = MaxPool2D.outputSize(side, kernel: 3, stride: 2)
        #expect(Self.t["\(name).y"]!.shape == [2, 3, out, out])
        // Planes are independent, so the (N, C) order does not matter here.
        let x = Self.t["\(name).x"]!.values
        var y = [Float](repeating: 0, count: planes * out * out)
        MaxPool2D.forward(out: &y, inp: x, planes: planes, height: side, width: side, kernel: 3, stride: 2)
        #expect(y == Self.t["\(name).y"]!.values)
        var dx = [Float](repeating: 0, count: x.count)
        MaxPool2D.backward(dinp: &dx, dout: Self.t["\(name).dy"]!.values, inp: x, out: y, planes: planes, height: side, width: side, kernel: 3, stride: 2)
        let cmp = TensorComparison("\(name).dx", actual: dx, expected: Self.t["\(name).dx"]!.values, tolerance: 1e-6)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test("ceil-mode output sizes as PyTorch: 113→56, 56→28, 28→14; 111→55, 55→27, 27→13")
    func poolSizes() {
        #expect([113, 56, 28, 111, 55, 27].map { MaxPool2D.outputSize($0, kernel: 3, stride: 2) } == [56, 28, 14, 55, 27, 13])
    }
}
