import Foundation

/// SLIC superpixels (Achanta et al.) on a gray image in [0, 1]: k-means in (intensity, x, y) from a
/// regular grid, distance √(d_c² + (d_s / S)² · m²) with compactness m; then small fragments are merged
/// into a neighbour so that labels are 0..<count.
public struct SLIC: Sendable {
    public var segments: Int
    public var compactness: Float
    public var iterations: Int

    public init(segments: Int = 50, compactness: Float = 0.1, iterations: Int = 10) {
        self.segments = segments
        self.compactness = compactness
        self.iterations = iterations
    }

    public func labels(gray: [Float], width w: Int, height h: Int) -> (labels: [Int32], count: Int) {
        let step = max(1, Int((Float(w * h) / Float(segments)).squareRoot().rounded()))
        var centers: [(v: Float, x: Float, y: Float)] = []
        for y in Swift.stride(from: step / 2, to: h, by: step) {
            for x in Swift.stride(from: step / 2, to: w, by: step) { centers.append((gray[y * w + x], Float(x), Float(y))) }
        }
        var labels = [Int32](repeating: 0, count: w * h)
        var distance = [Float](repeating: .infinity, count: w * h)
        let m2 = compactness * compactness, s2 = Float(step * step)
        for _ in 0..<iterations {
            for i in distance.indices { distance[i] = .infinity }
            for (k, c) in centers.enumerated() {
                let x0 = max(0, Int(c.x) - step), x1 = min(w - 1, Int(c.x) + step)
                let y0 = max(0, Int(c.y) - step), y1 = min(h - 1, Int(c.y) + step)
                guard x0 <= x1, y0 <= y1 else { continue }
                for y in y0...y1 {
                    for x in x0...x1 {
                        let dv = gray[y * w + x] - c.v, dx = Float(x) - c.x, dy = Float(y) - c.y
                        let d = dv * dv + (dx * dx + dy * dy) / s2 * m2
                        if d < distance[y * w + x] { distance[y * w + x] = d; labels[y * w + x] = Int32(k) }
                    }
                }
            }
            var sums = [(v: Float, x: Float, y: Float, n: Float)](repeating: (0, 0, 0, 0), count: centers.count)
            for y in 0..<h {
                for x in 0..<w {
                    let k = Int(labels[y * w + x])
                    sums[k].v += gray[y * w + x]; sums[k].x += Float(x); sums[k].y += Float(y); sums[k].n += 1
                }
            }
            for k in centers.indices where sums[k].n > 0 {
                centers[k] = (sums[k].v / sums[k].n, sums[k].x / sums[k].n, sums[k].y / sums[k].n)
            }
        }
        return Self.connected(labels, width: w, height: h, minimumSize: max(1, step * step / 4))
    }

    /// Relabels 4-connected components 0..<count in scan order; components smaller than `minimumSize`
    /// join the component to their left/top (as SLIC's connectivity step).
    static func connected(_ labels: [Int32], width w: Int, height h: Int, minimumSize: Int) -> ([Int32], Int) {
        var out = [Int32](repeating: -1, count: w * h)
        var next: Int32 = 0
        var stack: [Int] = []
        for start in 0..<(w * h) where out[start] < 0 {
            // Flood the component.
            var members: [Int] = []
            stack.append(start); out[start] = next
            while let p = stack.popLast() {
                members.append(p)
                let x = p % w, y = p / w
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < w && ny < h {
                    let q = ny * w + nx
                    if out[q] < 0 && labels[q] == labels[start] { out[q] = next; stack.append(q) }
                }
            }
            if members.count < minimumSize, next > 0 {
                // Merge into an already labelled neighbour of the first pixel (left or up).
                let x = start % w, y = start / w
                let neighbour = x > 0 ? out[start - 1] : (y > 0 ? out[start - w] : next - 1)
                for p in members { out[p] = neighbour }
            } else {
                next += 1
            }
        }
        return (out, Int(next))
    }
}
