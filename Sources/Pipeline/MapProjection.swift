import Preprocess

/// Carries a map at the network input's resolution (the padded, resized square) back onto the source
/// image, at an output size no larger than `maxSide` (DICOM objects stay a reasonable size).
public struct MapProjection: Sendable {
    public var geometry: InputGeometry
    public var outputWidth: Int
    public var outputHeight: Int

    /// Square output pixels: a source of non-square pixels (`geometry.pixelAspect`) comes out in its own proportions.
    public init(geometry: InputGeometry, maxSide: Int) {
        self.geometry = geometry
        let width = Double(geometry.sourceWidth), height = Double(geometry.sourceHeight) * geometry.pixelAspect
        let longest = max(width, height)
        let scale = longest > Double(maxSide) ? Double(maxSide) / longest : 1
        outputWidth = max(1, Int((width * scale).rounded()))
        outputHeight = max(1, Int((height * scale).rounded()))
    }

    /// The source image at the output size (area averaging when shrinking).
    public func image(_ radiograph: Radiograph) -> [Float] {
        if outputWidth == radiograph.width && outputHeight == radiograph.height { return radiograph.pixels }
        return Resampler(sourceWidth: radiograph.width, sourceHeight: radiograph.height, paddedWidth: radiograph.width,
                         paddedHeight: radiograph.height, offsetX: 0, offsetY: 0,
                         outputWidth: outputWidth, outputHeight: outputHeight).apply(radiograph.pixels)
    }

    /// Network-input coordinates (continuous, pixel centres at +0.5) of an output pixel's centre.
    func networkPoint(x: Int, y: Int) -> (Double, Double) {
        let g = geometry
        let sx = (Double(x) + 0.5) * Double(g.sourceWidth) / Double(outputWidth)
        let sy = (Double(y) + 0.5) * Double(g.sourceHeight) / Double(outputHeight)
        return ((sx + Double(g.offsetX)) * Double(g.size) / Double(g.paddedWidth),
                (sy + Double(g.offsetY)) * Double(g.size) / Double(g.paddedHeight))
    }

    /// Network-input sample positions along one axis: for each output index, the two neighbouring map
    /// cells and the weight of the second (half-pixel centres, clamped at the edges). The map is separable.
    func axis(output: Int, source: Int, offset: Int, padded: Int) -> [(Int, Int, Float)] {
        let n = geometry.size
        return (0..<output).map { i in
            let s = (Double(i) + 0.5) * Double(source) / Double(output)
            let u = (s + Double(offset)) * Double(n) / Double(padded)
            let f = min(max(u - 0.5, 0), Double(n - 1))
            let i0 = Int(f)
            return (i0, min(i0 + 1, n - 1), Float(f - Double(i0)))
        }
    }

    /// The map sampled bilinearly (half-pixel centres, clamped at the edges) at every output pixel.
    public func map(_ values: [Float]) -> [Float] {
        let n = geometry.size, g = geometry
        precondition(values.count == n * n)
        let xs = axis(output: outputWidth, source: g.sourceWidth, offset: g.offsetX, padded: g.paddedWidth)
        let ys = axis(output: outputHeight, source: g.sourceHeight, offset: g.offsetY, padded: g.paddedHeight)
        var out = [Float](repeating: 0, count: outputWidth * outputHeight)
        var top = [Float](repeating: 0, count: outputWidth), bottom = top
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for (y, (y0, y1, ay)) in ys.enumerated() {
                    for (x, (x0, x1, ax)) in xs.enumerated() {
                        top[x] = v[y0 * n + x0] + (v[y0 * n + x1] - v[y0 * n + x0]) * ax
                        bottom[x] = v[y1 * n + x0] + (v[y1 * n + x1] - v[y1 * n + x0]) * ax
                    }
                    let row = y * outputWidth
                    for x in 0..<outputWidth { o[row + x] = top[x] * (1 - ay) + bottom[x] * ay }
                }
            }
        }
        return out
    }

    /// Labels (superpixels) by nearest neighbour at every output pixel.
    public func labels(_ values: [Int32]) -> [Int32] { nearest(values) }

    /// Nearest-neighbour projection: for maps that are constant per superpixel (LIME), where interpolation
    /// would invent in-between values along superpixel borders.
    public func nearest<T>(_ values: [T]) -> [T] {
        let n = geometry.size
        precondition(values.count == n * n)
        guard let first = values.first else { return [] }
        var out = [T](repeating: first, count: outputWidth * outputHeight)
        for y in 0..<outputHeight {
            for x in 0..<outputWidth {
                let (u, v) = networkPoint(x: x, y: y)
                let i = min(max(Int(u), 0), n - 1), j = min(max(Int(v), 0), n - 1)
                out[y * outputWidth + x] = values[j * n + i]
            }
        }
        return out
    }

    /// The pixels whose value is in the top `fraction` of the image (ties at the threshold included;
    /// zero is never "top", so a map that is mostly zero marks less).
    public static func topRegion(_ values: [Float], fraction: Double) -> [Bool] {
        guard !values.isEmpty, fraction > 0 else { return [Bool](repeating: false, count: values.count) }
        let k = min(values.count - 1, max(0, Int((Double(values.count) * fraction).rounded(.up)) - 1))
        let threshold = kthLargest(values, k)
        return values.map { $0 >= threshold && $0 > 0 }
    }

    /// The value of rank `k` (0 = largest), exactly: a 4096-bin histogram over [min, max] finds the bin
    /// that holds rank k in two streaming passes, then quickselect runs on that bin's few values only
    /// (a whole-array quickselect over a megapixel map was the slowest step of writing the overlays).
    static func kthLargest(_ values: [Float], _ k: Int) -> Float {
        precondition(k >= 0 && k < values.count)
        var lo = Float.infinity, hi = -Float.infinity
        values.withUnsafeBufferPointer { p in for v in p { lo = min(lo, v); hi = max(hi, v) } }
        guard lo < hi, lo.isFinite, hi.isFinite else { return quickselect(values, k) }
        let bins = 4096
        let scale = Float(bins) / (hi - lo)
        @inline(__always) func bin(_ v: Float) -> Int {
            let x = (v - lo) * scale
            return x >= 0 ? min(bins - 1, Int(x)) : 0  // NaN lands in the lowest bin
        }
        // Four interleaved histograms: neighbouring values of a smooth map fall in the same bin, and one
        // histogram would make every increment wait for the previous one.
        var counts = [Int](repeating: 0, count: bins)
        var lanes = [Int32](repeating: 0, count: 4 * bins)
        lanes.withUnsafeMutableBufferPointer { l in
            values.withUnsafeBufferPointer { p in
                let n = p.count, whole = n & ~3
                var i = 0
                while i < whole {
                    l[bin(p[i])] &+= 1; l[bins + bin(p[i + 1])] &+= 1
                    l[2 * bins + bin(p[i + 2])] &+= 1; l[3 * bins + bin(p[i + 3])] &+= 1
                    i += 4
                }
                while i < n { l[bin(p[i])] &+= 1; i += 1 }
            }
            for b in 0..<bins { counts[b] = Int(l[b]) + Int(l[bins + b]) + Int(l[2 * bins + b]) + Int(l[3 * bins + b]) }
        }
        // Walk down from the top bin to the one where rank k falls.
        var above = 0, target = bins - 1
        while above + counts[target] <= k { above += counts[target]; target -= 1 }
        var inBin: [Float] = []
        inBin.reserveCapacity(counts[target])
        for v in values where bin(v) == target { inBin.append(v) }
        return quickselect(inBin, k - above)
    }

    static func quickselect(_ values: [Float], _ k: Int) -> Float {
        var a = values
        var lo = 0, hi = a.count - 1
        var rng = SystemRandomNumberGenerator()
        while lo < hi {
            let pivot = a[Int.random(in: lo...hi, using: &rng)]
            var i = lo, j = hi
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
        }
        return a[k]
    }
}
