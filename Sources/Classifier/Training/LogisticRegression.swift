import Foundation
import TensorEngine

/// Fits a `LinearProbe`: multinomial logistic regression on standardised features with balanced class weights
/// (each class weighs n / (K · its count), as scikit-learn's "balanced") and an L2 penalty λ‖W‖² (the bias is
/// not penalised), minimised by L-BFGS in double precision from zero: the objective is strictly convex, so the
/// result is its unique minimum, whatever the thread count. `chooseLambda` picks λ by cross-validation over
/// groups (patients' folds), never by the films it is then scored on.
public enum LogisticRegression {
    /// The L2 strengths `chooseLambda` tries by default.
    public static let lambdaCandidates: [Double] = [0.03, 0.1, 0.3, 1, 3]

    /// - Parameters: features: n × dimension, concatenated; labels: n class indices.
    public static func fit(features: [Float], dimension d: Int, labels: [Int], classes k: Int, lambda: Double,
                           maximumIterations: Int = 500) -> LinearProbe {
        let n = labels.count
        precondition(features.count == n * d && n > 0, "features and labels disagree")
        var mean = [Double](repeating: 0, count: d), sd = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(features[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { let v = Double(features[i * d + j]) - mean[j]; sd[j] += v * v } }
        let scale = sd.map { 1 / (($0 / Double(n)).squareRoot() + 1e-6) }
        var a = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { a[i * d + j] = (Double(features[i * d + j]) - mean[j]) * scale[j] } }
        var counts = [Int](repeating: 0, count: k)
        for y in labels { counts[y] += 1 }
        let classWeight = counts.map { Double(n) / (Double(k) * Double(max($0, 1))) }
        let objective = Objective(a: a, labels: labels, n: n, d: d, k: k, classWeight: classWeight, lambda: lambda)
        let x = LBFGS.minimise(objective.valueAndGradient, start: [Double](repeating: 0, count: k * d + k),
                               maximumIterations: maximumIterations)
        return LinearProbe(mean: mean.map(Float.init), scale: scale.map(Float.init), weight: x[0..<(k * d)].map(Float.init),
                           bias: x[(k * d)...].map(Float.init), lambda: lambda)
    }

    /// The λ among `candidates` with the least held-out negative log-likelihood summed over `groups`: for each
    /// group, a probe fitted on the other groups is scored on it. Returns the λ and each candidate's summed loss.
    public static func chooseLambda(features: [Float], dimension d: Int, labels: [Int], classes k: Int, groups: [Int],
                                    candidates: [Double] = lambdaCandidates) -> (lambda: Double, losses: [Double]) {
        let ids = Array(Set(groups)).sorted()
        precondition(ids.count >= 2, "choosing λ needs at least two groups")
        let tasks = candidates.indices.flatMap { c in ids.map { (c, $0) } }
        let slots = LockedSlots<Double>(count: tasks.count)
        Parallel.chunks(tasks.count, minimumChunk: 1) { range in
            for t in range {
                let (c, g) = tasks[t]
                let train = groups.indices.filter { groups[$0] != g }, held = groups.indices.filter { groups[$0] == g }
                let probe = fit(features: train.flatMap { features[($0 * d)..<($0 * d + d)] }, dimension: d,
                                labels: train.map { labels[$0] }, classes: k, lambda: candidates[c])
                let logits = probe.logits(features: held.flatMap { features[($0 * d)..<($0 * d + d)] })
                let heldLabels = held.map { labels[$0] }
                slots.set(t, Calibration.negativeLogLikelihood(logits: logits, labels: heldLabels, classes: k, temperature: 1)
                          * Double(held.count))
            }
        }
        let values = slots.values.map { $0! }
        let losses = candidates.indices.map { c in ids.indices.reduce(0.0) { $0 + values[c * ids.count + $1] } }
        let best = losses.indices.min { losses[$0] < losses[$1] }!
        return (candidates[best], losses)
    }

    /// The weighted mean cross-entropy plus λ‖W‖², and its gradient, at parameters x = (W: K × d row-major, b: K).
    struct Objective {
        let a: [Double]; let labels: [Int]; let n: Int; let d: Int; let k: Int; let classWeight: [Double]; let lambda: Double

        func valueAndGradient(_ x: [Double]) -> (Double, [Double]) {
            var gradient = [Double](repeating: 0, count: x.count)
            let totalWeight = labels.reduce(0.0) { $0 + classWeight[$1] }
            var loss = 0.0
            var z = [Double](repeating: 0, count: k)
            a.withUnsafeBufferPointer { a in
                x.withUnsafeBufferPointer { x in
                    gradient.withUnsafeMutableBufferPointer { g in
                        for i in 0..<n {
                            let row = a.baseAddress! + i * d
                            for c in 0..<k {
                                let w = x.baseAddress! + c * d
                                var s = x[k * d + c]
                                for j in 0..<d { s += w[j] * row[j] }
                                z[c] = s
                            }
                            let top = z.max()!
                            let sum = z.reduce(0) { $0 + exp($1 - top) }
                            let y = labels[i], weight = classWeight[y] / totalWeight
                            loss += weight * (top + log(sum) - z[y])
                            for c in 0..<k {
                                let delta = weight * (exp(z[c] - top) / sum - (c == y ? 1 : 0))
                                let gw = g.baseAddress! + c * d
                                for j in 0..<d { gw[j] += delta * row[j] }
                                g[k * d + c] += delta
                            }
                        }
                        for j in 0..<(k * d) { loss += lambda * x[j] * x[j]; g[j] += 2 * lambda * x[j] }
                    }
                }
            }
            return (loss, gradient)
        }
    }
}

/// Limited-memory BFGS (Nocedal & Wright, algorithm 7.4) with a backtracking Armijo line search: for smooth
/// convex objectives of a few thousand parameters.
enum LBFGS {
    static func minimise(_ f: ([Double]) -> (Double, [Double]), start: [Double], maximumIterations: Int,
                         history m: Int = 20, gradientTolerance: Double = 1e-9) -> [Double] {
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        var x = start
        var (value, g) = f(x)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        for iteration in 0..<maximumIterations {
            if g.map(abs).max()! <= gradientTolerance { break }
            // Two-loop recursion: direction = −H g.
            var q = g, alpha = [Double](repeating: 0, count: s.count)
            for i in s.indices.reversed() {
                alpha[i] = rho[i] * dot(s[i], q)
                for j in q.indices { q[j] -= alpha[i] * y[i][j] }
            }
            let gamma = s.isEmpty ? 1 : dot(s.last!, y.last!) / dot(y.last!, y.last!)
            for j in q.indices { q[j] *= gamma }
            for i in s.indices {
                let beta = rho[i] * dot(y[i], q)
                for j in q.indices { q[j] += (alpha[i] - beta) * s[i][j] }
            }
            var direction = q.map { -$0 }
            var slope = dot(g, direction)
            if slope >= 0 { direction = g.map { -$0 }; slope = dot(g, direction); s = []; y = []; rho = [] }
            var step = iteration == 0 ? min(1, 1 / g.reduce(0) { $0 + abs($1) }) : 1
            var next = x, nextValue = value, nextGradient = g, accepted = false
            for _ in 0..<60 {
                next = zip(x, direction).map { $0 + step * $1 }
                (nextValue, nextGradient) = f(next)
                if nextValue <= value + 1e-4 * step * slope { accepted = true; break }
                step /= 2
            }
            guard accepted else { break }
            let sk = zip(next, x).map { $0 - $1 }, yk = zip(nextGradient, g).map { $0 - $1 }
            let sy = dot(sk, yk)
            if sy > 1e-12 {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > m { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            let change = abs(value - nextValue)
            x = next; value = nextValue; g = nextGradient
            if change <= 1e-15 * max(1, abs(value)) { break }
        }
        return x
    }
}
