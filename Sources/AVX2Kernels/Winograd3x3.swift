/// A 3×3, stride-1, pad-1 convolution with bias and ReLU by Winograd's F(2×2, 3×3): 16 multiplications per
/// 2×2 outputs and input–output channel pair instead of 36, in oneDNN's 8-channel-blocked layout
/// ([C/8][H][W][8]) of one image. For SqueezeNet's 3×3 expands, which oneDNN 2.6 runs as direct convolutions
/// on AVX2 (it has Winograd only for AVX-512) at close to the FMA peak: fewer multiplications are the lever.
///
/// This module is compiled for AVX2 + FMA (Package.swift): call it only on a CPU that has both.
/// Single-threaded, and every output is summed in a fixed order, so an image's numbers do not depend on
/// anything else running.
///
/// Per group of tiles: input transform Bᵀ d B into V[ξ][tile][ci], sixteen products M[ξ] = V[ξ] · U[ξ]
/// (U = G g Gᵀ, made by `setWeights`), output transform Aᵀ M A with bias and ReLU, written straight to the destination.
/// A group's V stays in the core's L2, a 16-channel slice of M in L1; U is read once per group, in order.
public final class Winograd3x3 {
    public let inChannels: Int, outChannels: Int, side: Int
    private let tilesPerSide: Int, paddedSide: Int
    /// Tiles per group: a multiple of the micro-kernel's six rows.
    private let groupTiles: Int
    /// Output channels per pass over a group: its slice of M stays in L1 (measured against 32 and 64 on AMD EPYC).
    private static let chunk = 16
    private let u: UnsafeMutablePointer<Float>      // [Cout/16][16][Cin][16]: read start to end once per group
    private let bias: UnsafeMutablePointer<Float>   // [Cout]
    private let padded: UnsafeMutablePointer<Float> // [Cin/8][P][P][8], zero border
    private let v: UnsafeMutablePointer<Float>      // [16][groupTiles][Cin]
    private let m: UnsafeMutablePointer<Float>      // [16][groupTiles][chunk]

    /// Channel counts: multiples of 8 (inputs) and 16 (outputs). Weights come with `setWeights`.
    public init(inChannels: Int, outChannels: Int, side: Int) {
        precondition(inChannels % 8 == 0 && outChannels % 16 == 0 && side > 0)
        self.inChannels = inChannels; self.outChannels = outChannels; self.side = side
        tilesPerSide = (side + 1) / 2
        paddedSide = 2 * tilesPerSide + 2
        let tiles = tilesPerSide * tilesPerSide
        // As many tiles per group as keep V within 256 KiB (L2), balanced over the groups: every group reads all
        // of U (up to 1 MiB, from L3), so fewer groups is less traffic.
        let most = max(18, 4096 / inChannels), groups = (tiles + most - 1) / most
        groupTiles = ((tiles + groups - 1) / groups + 5) / 6 * 6
        u = .allocate(capacity: 16 * inChannels * outChannels)
        bias = .allocate(capacity: outChannels)
        bias.initialize(repeating: 0, count: outChannels)
        padded = .allocate(capacity: inChannels * paddedSide * paddedSide)
        padded.initialize(repeating: 0, count: inChannels * paddedSide * paddedSide)
        v = .allocate(capacity: 16 * groupTiles * inChannels)
        v.initialize(repeating: 0, count: 16 * groupTiles * inChannels)
        m = .allocate(capacity: 16 * groupTiles * Self.chunk)
        m.initialize(repeating: 0, count: 16 * groupTiles * Self.chunk)
        u.initialize(repeating: 0, count: 16 * inChannels * outChannels)
    }

    /// Takes new weights (OIHW: outChannels × inChannels × 3 × 3) and biases: U = G g Gᵀ per channel pair.
    public func setWeights(_ weights: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        self.bias.update(from: bias, count: outChannels)
        // U = G g Gᵀ per (co, ci) in double precision, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]: rows of G g, then columns.
        @inline(__always) func spread(_ x0: Double, _ x1: Double, _ x2: Double) -> (Double, Double, Double, Double) {
            (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2)
        }
        for co in 0..<outChannels {
            for ci in 0..<inChannels {
                let g = weights + (co * inChannels + ci) * 9
                let c0 = spread(Double(g[0]), Double(g[3]), Double(g[6]))  // column 0 of g down the rows of G g
                let c1 = spread(Double(g[1]), Double(g[4]), Double(g[7]))
                let c2 = spread(Double(g[2]), Double(g[5]), Double(g[8]))
                let out = u + ((co / 16) * 16 * inChannels + ci) * 16 + co % 16, step = inChannels * 16
                // Row i of G g, spread along its columns: U[i][0…3].
                @inline(__always) func row(_ i: Int, _ r0: Double, _ r1: Double, _ r2: Double) {
                    let x = spread(r0, r1, r2), o = out + i * 4 * step
                    o[0] = Float(x.0); o[step] = Float(x.1); o[2 * step] = Float(x.2); o[3 * step] = Float(x.3)
                }
                row(0, c0.0, c1.0, c2.0); row(1, c0.1, c1.1, c2.1); row(2, c0.2, c1.2, c2.2); row(3, c0.3, c1.3, c2.3)
            }
        }
    }

    deinit { u.deallocate(); bias.deallocate(); padded.deallocate(); v.deallocate(); m.deallocate() }

    public func run(source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        let h = side, p = paddedSide
        for cb in 0..<(inChannels / 8) {
            for r in 0..<h {
                (padded + ((cb * p + r + 1) * p + 1) * 8).update(from: source + (cb * h + r) * h * 8, count: h * 8)
            }
        }
        let tiles = tilesPerSide * tilesPerSide
        for first in stride(from: 0, to: tiles, by: groupTiles) {
            let count = min(groupTiles, tiles - first)
            transformInput(first: first, count: count)
            for c0 in stride(from: 0, to: outChannels, by: Self.chunk) {
                let width = min(Self.chunk, outChannels - c0)
                for xi in 0..<16 {
                    let vx = v + xi * groupTiles * inChannels, mx = m + xi * groupTiles * Self.chunk
                    for j in stride(from: 0, to: width, by: 16) {
                        let panel = UnsafePointer(u + (((c0 + j) / 16 * 16 + xi) * inChannels) * 16)
                        for row in stride(from: 0, to: count, by: 6) {
                            Self.product(vx + row * inChannels, panel, mx + row * Self.chunk + j, k: inChannels)
                        }
                    }
                }
                transformOutput(first: first, count: count, firstChannel: c0, width: width, into: destination)
            }
        }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) private static func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }

    /// V[ξ][t][ci] = (Bᵀ d B)[ξ] for each tile's 4×4 patch d, eight input channels per vector.
    private func transformInput(first: Int, count: Int) {
        let p = paddedSide, n = tilesPerSide, k = inChannels, stride = groupTiles * inChannels
        for t in 0..<count {
            let ty = (first + t) / n, tx = (first + t) % n
            for cb in 0..<(k / 8) {
                let base = UnsafePointer(padded + ((cb * p + 2 * ty) * p + 2 * tx) * 8)
                // Rows first: t_r = Bᵀ rows applied to the patch's rows.
                @inline(__always) func row(_ r: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let q = base + r * p * 8
                    return (Self.load(q), Self.load(q + 8), Self.load(q + 16), Self.load(q + 24))
                }
                let d0 = row(0), d1 = row(1), d2 = row(2), d3 = row(3)
                let r0 = (d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
                let r1 = (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
                let r2 = (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
                let r3 = (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
                let out = v + t * k + cb * 8
                @inline(__always) func columns(_ r: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), _ i: Int) {
                    Self.store(r.0 - r.2, out + (i * 4 + 0) * stride)
                    Self.store(r.1 + r.2, out + (i * 4 + 1) * stride)
                    Self.store(r.2 - r.1, out + (i * 4 + 2) * stride)
                    Self.store(r.1 - r.3, out + (i * 4 + 3) * stride)
                }
                columns(r0, 0); columns(r1, 1); columns(r2, 2); columns(r3, 3)
            }
        }
    }

    /// Six tiles × sixteen output channels of M[ξ] = V[ξ] · U[ξ], summed over the input channels in order:
    /// twelve accumulators, two weight vectors and one broadcast, the fifteen of sixteen vector registers.
    @inline(__always)
    private static func product(_ v: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, k: Int) {
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
        var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
        var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
        let v0 = v, v1 = v + k, v2 = v + 2 * k, v3 = v + 3 * k, v4 = v + 4 * k, v5 = v + 5 * k
        var up = u
        for c in 0..<k {
            let u0 = load(up), u1 = load(up + 8)
            var b = SIMD8<Float>(repeating: v0[c]); a00.addProduct(b, u0); a01.addProduct(b, u1)
            b = SIMD8<Float>(repeating: v1[c]); a10.addProduct(b, u0); a11.addProduct(b, u1)
            b = SIMD8<Float>(repeating: v2[c]); a20.addProduct(b, u0); a21.addProduct(b, u1)
            b = SIMD8<Float>(repeating: v3[c]); a30.addProduct(b, u0); a31.addProduct(b, u1)
            b = SIMD8<Float>(repeating: v4[c]); a40.addProduct(b, u0); a41.addProduct(b, u1)
            b = SIMD8<Float>(repeating: v5[c]); a50.addProduct(b, u0); a51.addProduct(b, u1)
            up += 16
        }
        let s = chunk
        store(a00, out); store(a01, out + 8); store(a10, out + s); store(a11, out + s + 8)
        store(a20, out + 2 * s); store(a21, out + 2 * s + 8); store(a30, out + 3 * s); store(a31, out + 3 * s + 8)
        store(a40, out + 4 * s); store(a41, out + 4 * s + 8); store(a50, out + 5 * s); store(a51, out + 5 * s + 8)
    }

    /// Y = Aᵀ M A per tile and eight output channels (Aᵀ = [1 1 1 0; 0 1 −1 −1]), plus bias, ReLU, stored
    /// where the tile's 2×2 outputs lie (those inside the image).
    private func transformOutput(first: Int, count: Int, firstChannel c0: Int, width: Int, into destination: UnsafeMutablePointer<Float>) {
        let h = side, n = tilesPerSide, s = groupTiles * Self.chunk
        for cb in 0..<(width / 8) {
            let b = Self.load(bias + c0 + cb * 8)
            let plane = destination + (c0 / 8 + cb) * h * h * 8
            for t in 0..<count {
                let ty = (first + t) / n, tx = (first + t) % n
                let q = UnsafePointer(m + t * Self.chunk + cb * 8)
                @inline(__always) func rowSum(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                    let m0 = Self.load(q + (i * 4) * s), m1 = Self.load(q + (i * 4 + 1) * s)
                    let m2 = Self.load(q + (i * 4 + 2) * s), m3 = Self.load(q + (i * 4 + 3) * s)
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let r0 = rowSum(0), r1 = rowSum(1), r2 = rowSum(2), r3 = rowSum(3)
                let y00 = r0.0 + r1.0 + r2.0 + b, y01 = r0.1 + r1.1 + r2.1 + b
                let y10 = r1.0 - r2.0 - r3.0 + b, y11 = r1.1 - r2.1 - r3.1 + b
                let y = 2 * ty, x = 2 * tx
                let o = plane + (y * h + x) * 8
                Self.store(Self.relu(y00), o)
                if x + 1 < h { Self.store(Self.relu(y01), o + 8) }
                if y + 1 < h {
                    Self.store(Self.relu(y10), o + h * 8)
                    if x + 1 < h { Self.store(Self.relu(y11), o + h * 8 + 8) }
                }
            }
        }
    }

    /// Lane-wise max(x, 0): a compare and a blend.
    @inline(__always) private static func relu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x.replacing(with: 0, where: x .< 0)
    }
}
