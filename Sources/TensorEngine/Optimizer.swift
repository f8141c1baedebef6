import Foundation

/// An optimiser over the flat parameter block; state shares the parameter layout.
public protocol Optimizer: Sendable {
    /// - Parameter scales: parts of the block whose learning rate is `learningRate` times the scale (e.g. a
    ///   pretrained backbone fine-tuned more gently than a new head); the rest take `learningRate`.
    mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, scales: [(Range<Int>, Float)])
}

extension Optimizer {
    public mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float) {
        step(parameters: parameters, gradients: gradients, learningRate: learningRate, scales: [])
    }
}

/// The block cut into runs of one learning rate, in order.
func learningRateRuns(count: Int, learningRate: Float, scales: [(Range<Int>, Float)]) -> [(Range<Int>, Float)] {
    var runs: [(Range<Int>, Float)] = [], next = 0
    for (range, scale) in scales.sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) {
        if range.lowerBound > next { runs.append((next..<range.lowerBound, learningRate)) }
        runs.append((range, learningRate * scale))
        next = range.upperBound
    }
    if next < count { runs.append((next..<count, learningRate)) }
    return runs
}

/// AdamW as `torch.optim.AdamW` (decoupled weight decay applied before the Adam update).
public struct AdamW: Optimizer {
    public var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01
    var m: FloatBuffer, v: FloatBuffer
    var t = 0

    public init(parameterCount: Int, weightDecay: Float = 0.01) {
        m = FloatBuffer(count: parameterCount)
        v = FloatBuffer(count: parameterCount)
        self.weightDecay = weightDecay
    }

    public mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, scales: [(Range<Int>, Float)]) {
        t += 1
        let c1 = 1 - pow(beta1, Float(t)), c2 = 1 - pow(beta2, Float(t))
        let p = parameters.pointer, g = gradients.pointer, m = m.pointer, v = v.pointer
        let c2root = c2.squareRoot()
        for (run, lr) in learningRateRuns(count: parameters.count, learningRate: learningRate, scales: scales) {
          let (b1, b2, eps, decay) = (beta1, beta2, epsilon, 1 - lr * weightDecay)
          for i in run {
            p[i] *= decay
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            // PyTorch's form: p -= lr/c1 · m / (√v/√c2 + eps)
            p[i] -= (lr / c1) * m[i] / (v[i].squareRoot() / c2root + eps)
          }
        }
    }
}

/// SGD with momentum and (coupled) weight decay, as `torch.optim.SGD`.
public struct SGDMomentum: Optimizer {
    public var momentum: Float = 0.9, weightDecay: Float = 5e-4
    var velocity: FloatBuffer
    var started = false

    public init(parameterCount: Int, momentum: Float = 0.9, weightDecay: Float = 5e-4) {
        velocity = FloatBuffer(count: parameterCount)
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float, scales: [(Range<Int>, Float)]) {
        let p = parameters.pointer, g = gradients.pointer, b = velocity.pointer
        for (run, lr) in learningRateRuns(count: parameters.count, learningRate: learningRate, scales: scales) {
            for i in run {
                let d = g[i] + weightDecay * p[i]
                b[i] = started ? momentum * b[i] + d : d
                p[i] -= lr * b[i]
            }
        }
        started = true
    }
}
