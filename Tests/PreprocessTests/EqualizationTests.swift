import Foundation
import Preprocess
import Testing

/// The equalised network input: exact ranks, zeros kept, and the same input whatever monotone change of gray.
struct EqualizationTests {
    /// 4096 uniform gray levels in (0, 1) from a seeded LCG, every `blackEvery`-th pixel 0.
    static func noise(seed: UInt64, blackEvery: Int) -> [Float] {
        var state = seed
        return (0..<4096).map { i -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return i % blackEvery == 0 ? 0 : Float(state >> 40) / Float(1 << 24)
        }
    }

    @Test("each nonzero value becomes its mid-rank among the nonzero values / n; ties share it; zeros stay 0")
    func exactRanks() {
        // Nonzero: 0.5, 0.2, 0.5, 0.9 (n = 4); ranks 2.5, 1, 2.5, 4 (scipy.stats.rankdata, method "average").
        #expect(NetworkInput.equalized([0, 0.5, 0.2, 0.5, 0, 0.9]) == [0, 0.625, 0.25, 0.625, 0, 1])
        #expect(NetworkInput.equalized([0, 0, 0]) == [0, 0, 0])
        #expect(NetworkInput.equalized([0.3, 0.3]) == [0.75, 0.75])
    }

    /// The definition, by a comparison sort of the nonzero values (what `equalized` computed before its radix sort).
    static func referenceRanks(_ gray: [Float]) -> [Float] {
        let order = gray.indices.filter { gray[$0] > 0 }.sorted { gray[$0] < gray[$1] }
        var out = [Float](repeating: 0, count: gray.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && gray[order[end]] == gray[order[start]] { end += 1 }
            for k in start..<end { out[order[k]] = (Float(start + end - 1) / 2 + 1) / Float(order.count) }
            start = end
        }
        return out
    }

    @Test("the radix sort gives the comparison sort's ranks: 680² levels with ties, a film's 8-bit levels, tiny and huge values",
          arguments: [1, 2, 3])
    func radixMatchesReference(seed: Int) {
        var state = UInt64(seed)
        let gray = (0..<(680 * 680)).map { i -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24)
            switch i % 5 {
            case 0: return 0                                   // padding
            case 1: return Float(Int(u * 255)) / 255           // 8-bit levels: many ties
            case 2: return u * 1e-30                           // tiny values (other exponents)
            case 3: return u == 0 ? Float.leastNonzeroMagnitude : u
            default: return u * 1e6
            }
        }
        #expect(NetworkInput.equalized(gray) == Self.referenceRanks(gray))
        #expect(NetworkInput.equalized(Array(gray[0..<1000])) == Self.referenceRanks(Array(gray[0..<1000])))
        // Levels in [0.5, 1) share their top byte (sign and exponent), which the sort skips.
        let upper = (0..<4096).map { i in Float(128 + (i * 37 + seed) % 127) / 255 }
        #expect(Set(upper.map { $0.bitPattern >> 24 }).count == 1)
        #expect(NetworkInput.equalized(upper) == Self.referenceRanks(upper))
    }

    @Test("a strictly increasing change of the nonzero gray levels (gamma, window, contrast) gives the same input")
    func invariantToMonotoneChanges() {
        let gray = Self.noise(seed: 12345, blackEvery: 7)  // a seventh black, as padding
        let reference = NetworkInput.equalized(gray)
        #expect(NetworkInput.equalized(gray.map { pow($0, 0.8) }) == reference)
        #expect(NetworkInput.equalized(gray.map { $0 == 0 ? 0 : 0.1 + 0.5 * $0 }) == reference)
        #expect(reference.enumerated().allSatisfy { i, v in (v == 0) == (gray[i] == 0) && v <= 1 })
        #expect(reference.max() == 1)
    }

    @Test("options with tone 'equalized' normalise the equalised image; 'as-read' the image itself; 'three-tones' one tone per channel")
    func normalizeFollowsTone() {
        let gray: [Float] = [0, 0.5, 0.2, 0.5, 0, 0.9, 0.1, 0.7, 0.4]
        let equalized = NetworkInputOptions(size: 3, tone: .equalized), asRead = NetworkInputOptions(size: 3)
        #expect(NetworkInput.normalize(gray: gray, options: equalized)
                == NetworkInput.normalize(gray: NetworkInput.equalized(gray), options: asRead))
        #expect(NetworkInput.normalize(gray: gray, options: equalized) != NetworkInput.normalize(gray: gray, options: asRead))
        // Three tones: as read, equalised and square root in the three channels, each with its channel's
        // ImageNet mean and deviation.
        let three = NetworkInput.normalize(gray: gray, options: NetworkInputOptions(size: 3, tone: .threeTones))
        let (m, s) = (NetworkInputOptions.imageNetMean, NetworkInputOptions.imageNetStd)
        let e = NetworkInput.equalized(gray)
        #expect(Array(three[0..<9]) == gray.map { ($0 - m.0) * (1 / s.0) })
        #expect(Array(three[9..<18]) == e.map { ($0 - m.1) * (1 / s.1) })
        #expect(Array(three[18..<27]) == gray.map { ($0.squareRoot() - m.2) * (1 / s.2) })
        // The gray kept for overlays is the image, not its equalised form.
        let input = NetworkInput(gray: gray, width: 3, height: 3, options: equalized)
        #expect(input.gray == gray)
    }

    @Test("stretched: the nonzero values' 0.5th and 99.5th percentiles (numpy's) go to 0 and 1, clipped beyond; zeros stay 0")
    func stretchedExact() {
        // Nonzero 0.1 … 1.0 in steps of 0.1 (n = 10): numpy.percentile(…, [0.5, 99.5]) = 0.1045, 0.9955.
        let gray: [Float] = [0] + (1...10).map { Float($0) / 10 }
        let out = NetworkInput.stretched(gray)
        #expect(out[0] == 0 && out[1] == 0 && out[10] == 1)
        let (low, high) = (0.1045, 0.9955)
        for i in 2...9 { #expect(abs(Double(out[i]) - (Double(gray[i]) - low) / (high - low)) < 1e-5) }
        #expect(NetworkInput.stretched([0, 0.4, 0.4]) == [0, 1, 1], "one gray level: every nonzero pixel white")
        #expect(NetworkInput.stretched([0, 0]) == [0, 0])
    }

    @Test("stretched: an increasing linear change of the nonzero gray levels (a 16-bit export, a contrast) gives the same input; a gamma does not")
    func stretchedInvariantToLinearChanges() {
        let gray = Self.noise(seed: 777, blackEvery: 5).map { $0 == 0 ? 0 : 0.05 + 0.6 * $0 }
        let reference = NetworkInput.stretched(gray)
        let rescaled = NetworkInput.stretched(gray.map { $0 == 0 ? 0 : 0.01 + 1.5 * $0 })
        #expect(zip(reference, rescaled).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(reference.enumerated().allSatisfy { i, v in gray[i] != 0 || v == 0 })
        #expect(reference.max() == 1 && reference.filter { $0 > 0 }.min()! < 0.01)
        #expect(NetworkInput.stretched(gray.map { pow($0, 0.7) }) != reference)
        let stretched = NetworkInputOptions(size: 64, tone: .stretched)
        #expect(NetworkInput.normalize(gray: gray, options: stretched)
                == NetworkInput.normalize(gray: reference, options: NetworkInputOptions(size: 64)))
    }
}
