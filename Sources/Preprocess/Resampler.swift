/// Separable resampling of a gray image onto an output grid, with virtual padding.
///
/// Along each axis the source of length `length` sits at `offset` inside a padded line of length
/// `paddedLength`; positions outside the real pixels take `padValue`. Shrinking uses exact area
/// averaging (each output pixel averages the source area it covers, as OpenCV's INTER_AREA);
/// enlarging uses bilinear interpolation with half-pixel centres (OpenCV's INTER_LINEAR).
public struct Resampler: Sendable {
    /// One axis: for each output position, the padded source positions `starts[i] ..< starts[i] + counts[i]`
    /// it reads, with weights `weights[firstWeight[i] ..< firstWeight[i] + counts[i]]` (flat arrays, so the
    /// inner loops read contiguous memory).
    struct Axis: Sendable {
        var offset: Int
        var length: Int
        var starts: [Int] = []
        var firstWeight: [Int] = []
        var counts: [Int] = []
        var weights: [Float] = []

        init(length: Int, paddedLength: Int, offset: Int, output: Int) {
            precondition(length > 0 && paddedLength >= length && output > 0)
            self.offset = offset
            self.length = length
            let scale = Double(paddedLength) / Double(output)
            for i in 0..<output {
                if scale >= 1 {
                    // Area: output i covers [i*scale, (i+1)*scale) of the padded line.
                    let lo = Double(i) * scale, hi = Double(i + 1) * scale
                    let first = Int(lo.rounded(.down)), last = min(Int(hi.rounded(.up)) - 1, paddedLength - 1)
                    append(start: first, weights: (first...last).map { p in
                        Float(max(0, min(hi, Double(p + 1)) - max(lo, Double(p))) / scale)
                    })
                } else {
                    // Bilinear, half-pixel centres, clamped to the padded line.
                    let x = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(paddedLength - 1))
                    let x0 = Int(x.rounded(.down)), frac = Float(x - Double(x0))
                    append(start: x0, weights: x0 + 1 >= paddedLength || frac == 0 ? [1] : [1 - frac, frac])
                }
            }
        }

        /// For each output position, the sum of its weights that fall on real pixels (1 inside, less where it
        /// reaches into the padding).
        func realShare() -> [Float] {
            starts.indices.map { i in
                var share: Float = 0
                for k in 0..<counts[i] where (0..<length).contains(starts[i] + k - offset) { share += weights[firstWeight[i] + k] }
                return share
            }
        }

        mutating func append(start: Int, weights w: [Float]) {
            starts.append(start)
            firstWeight.append(weights.count)
            counts.append(w.count)
            weights += w
        }
    }

    let rows: Axis
    let columns: Axis
    public let padValue: Float

    /// - Parameters: source size, padded size and the source's offset in it, output size.
    public init(sourceWidth: Int, sourceHeight: Int, paddedWidth: Int, paddedHeight: Int,
                offsetX: Int, offsetY: Int, outputWidth: Int, outputHeight: Int, padValue: Float = 0) {
        columns = Axis(length: sourceWidth, paddedLength: paddedWidth, offset: offsetX, output: outputWidth)
        rows = Axis(length: sourceHeight, paddedLength: paddedHeight, offset: offsetY, output: outputHeight)
        self.padValue = padValue
    }

    public var outputWidth: Int { columns.starts.count }
    public var outputHeight: Int { rows.starts.count }

    /// The share of each output pixel that real pixels (not padding) make up: what `apply` gives for an image of
    /// ones with pad value 0, from the weights alone.
    public func coverage() -> [Float] {
        let r = rows.realShare(), c = columns.realShare()
        var out = [Float](repeating: 0, count: r.count * c.count)
        for i in r.indices { for j in c.indices { out[i * c.count + j] = r[i] * c[j] } }
        return out
    }

    /// Resamples row-major `source` (sourceWidth × sourceHeight) to outputHeight × outputWidth.
    public func apply(_ source: [Float]) -> [Float] {
        let w = columns.length, h = rows.length, ow = outputWidth, oh = outputHeight
        precondition(source.count == w * h, "source has \(source.count) values, expected \(w)x\(h)")
        // Vertical pass first, over whole rows (the inner loop runs along a row: vectorised), so the scalar
        // horizontal pass only sees the output's rows. Padded rows contribute the pad value.
        var tmp = [Float](repeating: 0, count: oh * w)
        let c = columns, r = rows, pad = padValue
        source.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for i in 0..<oh {
                    let f = r.firstWeight[i], start = r.starts[i] - r.offset
                    let out = dst.baseAddress! + i * w
                    for k in 0..<r.counts[i] {
                        let weight = r.weights[f + k], y = start + k
                        if y >= 0 && y < h {
                            let line = src.baseAddress! + y * w
                            for x in 0..<w { out[x] += weight * line[x] }
                        } else {
                            for x in 0..<w { out[x] += weight * pad }
                        }
                    }
                }
            }
        }
        // Horizontal pass; padded columns are the pad value (vertical weights sum to 1).
        var out = [Float](repeating: 0, count: oh * ow)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                c.starts.withUnsafeBufferPointer { starts in
                    c.firstWeight.withUnsafeBufferPointer { first in
                        c.counts.withUnsafeBufferPointer { counts in
                            c.weights.withUnsafeBufferPointer { weights in
                                for i in 0..<oh {
                                    let row = i * w, outRow = i * ow
                                    for j in 0..<ow {
                                        var acc: Float = 0
                                        let base = starts[j] - c.offset, f = first[j]
                                        for k in 0..<counts[j] {
                                            let x = base + k
                                            acc += weights[f + k] * ((x >= 0 && x < w) ? src[row + x] : pad)
                                        }
                                        dst[outRow + j] = acc
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
