/// 3×3 / 2 max-pooling of one image in a channel-blocked layout ([C/B][H][W][B]), windows clipped at the far
/// edges (torch's ceil mode). The lanes of a block are contiguous, so the inner loop is one vector max.
public struct BlockedMaxPool {
    let source: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
    let channels: Int, side: Int, outputSide: Int, block: Int

    public init(source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>, channels: Int, side: Int, outputSide: Int, block: Int) {
        self.source = source; self.destination = destination
        self.channels = channels; self.side = side; self.outputSide = outputSide; self.block = block
    }

    @inline(__always) private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
    /// Lane-wise a > b ? a : b: a compare and a blend (the standard library's pointwiseMax goes lane by lane).
    @inline(__always) static func max(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .> a)
    }

    public func run() {
        let (h, p, b) = (side, outputSide, block)
        for cb in 0..<(channels / b) {
            let src = source + cb * h * h * b, dst = destination + cb * p * p * b
            for y in 0..<p {
                let r0 = 2 * y, r1 = min(2 * y + 3, h)
                for x in 0..<p {
                    let c0 = 2 * x, c1 = min(2 * x + 3, h)
                    for lane in stride(from: 0, to: b, by: 8) {
                        let corner = src + (r0 * h + c0) * b + lane
                        var m: SIMD8<Float>
                        if r1 - r0 == 3 && c1 - c0 == 3 {
                            // A whole window: nine independent loads and a tree of maxima (a chain of nine
                            // dependent maxima left the loop waiting on each one's latency).
                            let q0 = corner, q1 = corner + h * b, q2 = corner + 2 * h * b
                            let m0 = Self.max(Self.max(load(q0), load(q0 + b)), load(q0 + 2 * b))
                            let m1 = Self.max(Self.max(load(q1), load(q1 + b)), load(q1 + 2 * b))
                            let m2 = Self.max(Self.max(load(q2), load(q2 + b)), load(q2 + 2 * b))
                            m = Self.max(Self.max(m0, m1), m2)
                        } else {
                            m = load(corner)
                            for r in r0..<r1 {
                                for c in c0..<c1 { m = Self.max(m, load(src + (r * h + c) * b + lane)) }
                            }
                        }
                        UnsafeMutableRawPointer(dst + (y * p + x) * b + lane).storeBytes(of: m, as: SIMD8<Float>.self)
                    }
                }
            }
        }
    }
}
