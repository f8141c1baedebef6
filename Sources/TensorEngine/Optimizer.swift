import Foundation

/// An optimiser over the flat parameter block; state shares the parameter layout.
public protocol Optimizer: Sendable {
    mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Float)
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

    public mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate lr: Float) {
        t += 1
        let c1 = 1 - pow(beta1, Float(t)), c2 = 1 - pow(beta2, Float(t))
        let p = parameters.pointer, g = gradients.pointer, m = m.pointer, v = v.pointer
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, 1 - lr * weightDecay)
        let c2root = c2.squareRoot()
        for i in 0..<parameters.count {
            p[i] *= decay
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            // PyTorch's form: p -= lr/c1 · m / (√v/√c2 + eps)
            p[i] -= (lr / c1) * m[i] / (v[i].squareRoot() / c2root + eps)
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

    public mutating func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate lr: Float) {
        let p = parameters.pointer, g = gradients.pointer, b = velocity.pointer
        for i in 0..<parameters.count {
            let d = g[i] + weightDecay * p[i]
            b[i] = started ? momentum * b[i] + d : d
            p[i] -= lr * b[i]
        }
        started = true
    }
}
