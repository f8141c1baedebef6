/// How a radiograph becomes the network's `[3, size, size]` input.
public struct NetworkInputOptions: Sendable, Equatable {
    public enum Fit: String, Sendable, CaseIterable {
        /// Keep the aspect ratio: centre the image in a square of its longer side, pad with black.
        case pad
        /// Resize each axis to the input size (MATLAB's augmentedImageDatastore default).
        case stretch
    }

    /// The gray levels the network sees.
    public enum Tone: String, Sendable, CaseIterable {
        /// As read: the stored window (or 8-bit values / 255).
        case asRead = "as-read"
        /// Histogram-equalised: every nonzero value replaced by its rank among the image's nonzero values, so
        /// any monotone change of the gray scale (a collection's window, gamma, contrast) gives the same input.
        /// Zero stays zero: padding and black borders are not counted.
        case equalized
        /// Three renderings as the three channels, where the others repeat one: as read, histogram-equalised,
        /// and the square root (the dark mediastinum and lung bases lifted). The channels ImageNet's first layer
        /// expects to differ then carry different contrasts of the same film.
        case threeTones = "three-tones"
        /// Linearly stretched: the nonzero values' 0.5th to 99.5th percentile mapped to [0, 1] (clipped), zero
        /// staying zero. Any linear change of the gray scale (a 16-bit export of the film, another window, a
        /// collection's contrast) gives the same input; unlike `equalized` the histogram keeps its shape.
        case stretched

        /// What the model card says of it, before the normalisation ("" when as read).
        public var cardText: String {
            switch self {
            case .asRead: return ""
            case .equalized: return "gray levels histogram-equalised (each nonzero level replaced by its rank), then "
            case .threeTones: return "three tones as the three channels (as read, histogram-equalised, square root), then "
            case .stretched: return "gray levels stretched linearly (the nonzero levels' 0.5th–99.5th percentile to 0–1), then "
            }
        }
    }

    public var size: Int
    public var fit: Fit
    public var tone: Tone
    /// Per-channel mean and standard deviation (ImageNet's, as `../shared/models/README.md` gives).
    public var mean: (Float, Float, Float)
    public var std: (Float, Float, Float)

    public static let imageNetMean: (Float, Float, Float) = (0.485, 0.456, 0.406)
    public static let imageNetStd: (Float, Float, Float) = (0.229, 0.224, 0.225)

    public init(size: Int = 227, fit: Fit = .pad, tone: Tone = .asRead, mean: (Float, Float, Float) = imageNetMean,
                std: (Float, Float, Float) = imageNetStd) {
        self.size = size
        self.fit = fit
        self.tone = tone
        self.mean = mean
        self.std = std
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.size == b.size && a.fit == b.fit && a.tone == b.tone && a.mean == b.mean && a.std == b.std
    }
}

/// Where the source image sits in the network input (to map explanations back onto it).
public struct InputGeometry: Sendable, Equatable, Codable {
    public var sourceWidth: Int
    public var sourceHeight: Int
    /// The padded canvas the source sits in (equal to the source size when stretching).
    public var paddedWidth: Int
    public var paddedHeight: Int
    public var offsetX: Int
    public var offsetY: Int
    public var size: Int
    /// A source pixel's height over its width (1: square pixels).
    public var pixelAspect: Double

    /// `pixelAspect`: a source pixel's height over its width. With the padded fit the canvas is square in the
    /// patient's own proportions, so a film of non-square pixels is not seen squashed.
    public init(sourceWidth: Int, sourceHeight: Int, fit: NetworkInputOptions.Fit, size: Int, pixelAspect: Double = 1) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.size = size
        self.pixelAspect = pixelAspect
        switch fit {
        case .pad:
            // The longer physical side, in each axis's own pixels.
            let physicalHeight = Double(sourceHeight) * pixelAspect
            if Double(sourceWidth) >= physicalHeight {
                paddedWidth = sourceWidth
                paddedHeight = max(sourceHeight, Int((Double(sourceWidth) / pixelAspect).rounded()))
            } else {
                paddedHeight = sourceHeight
                paddedWidth = max(sourceWidth, Int(physicalHeight.rounded()))
            }
            offsetX = (paddedWidth - sourceWidth) / 2; offsetY = (paddedHeight - sourceHeight) / 2
        case .stretch:
            paddedWidth = sourceWidth; paddedHeight = sourceHeight
            offsetX = 0; offsetY = 0
        }
    }
}

/// The network's input for one image: channel-major `[3, size, size]` floats, and the geometry.
public struct NetworkInput: Sendable {
    public var values: [Float]
    /// The resized gray image in [0, 1] before normalisation (for overlays).
    public var gray: [Float]
    public var geometry: InputGeometry

    /// Resizes (area when shrinking, bilinear when enlarging), repeats gray to RGB and normalises.
    public init(radiograph: Radiograph, options: NetworkInputOptions = .init()) {
        self.init(gray: radiograph.pixels, width: radiograph.width, height: radiograph.height, options: options,
                  pixelAspect: radiograph.tags.pixelAspect ?? 1)
    }

    /// The network-input gray of the radiograph's negative (each display value v as 1 − v; the padding stays 0),
    /// for the check that refuses negative images.
    public static func negativeGray(of radiograph: Radiograph, options: NetworkInputOptions = .init()) -> [Float] {
        NetworkInput(radiograph: radiograph, options: options).negativeGray
    }

    /// The same from this input: resampling is linear, so the negative's gray is each pixel's share of real
    /// pixels minus its gray, with no second pass over the full-size image.
    public var negativeGray: [Float] {
        let g = geometry
        let coverage = Resampler(sourceWidth: g.sourceWidth, sourceHeight: g.sourceHeight, paddedWidth: g.paddedWidth,
                                 paddedHeight: g.paddedHeight, offsetX: g.offsetX, offsetY: g.offsetY,
                                 outputWidth: g.size, outputHeight: g.size).coverage()
        return zip(coverage, gray).map { max(0, $0 - $1) }
    }

    /// A square network-input gray (`size`² values) turned clockwise by `quarterTurns` × 90°: an exact
    /// permutation, and with the padded fit the same as turning the film before it was resampled (the tone
    /// and the normalisation are per pixel or by rank, so they follow the turn).
    public static func turned(gray: [Float], quarterTurns: Int) -> [Float] {
        let size = Int(Double(gray.count).squareRoot())
        precondition(size * size == gray.count, "a network input is square")
        let last = size - 1
        // Where output (x, y) reads from, for this turn (chosen once, not per pixel).
        let source: (Int, Int) -> Int
        switch ((quarterTurns % 4) + 4) % 4 {
        case 1: source = { x, y in (last - x) * size + y }
        case 2: source = { x, y in (last - y) * size + (last - x) }
        case 3: source = { x, y in x * size + (last - y) }
        default: return gray
        }
        var out = gray
        for y in 0..<size { for x in 0..<size { out[y * size + x] = gray[source(x, y)] } }
        return out
    }

    public init(gray source: [Float], width: Int, height: Int, options: NetworkInputOptions = .init(), pixelAspect: Double = 1) {
        let g = InputGeometry(sourceWidth: width, sourceHeight: height, fit: options.fit, size: options.size, pixelAspect: pixelAspect)
        let resampler = Resampler(sourceWidth: width, sourceHeight: height, paddedWidth: g.paddedWidth,
                                  paddedHeight: g.paddedHeight, offsetX: g.offsetX, offsetY: g.offsetY,
                                  outputWidth: options.size, outputHeight: options.size, padValue: 0)
        let resized = resampler.apply(source)
        self.values = Self.normalize(gray: resized, options: options)
        self.gray = resized
        self.geometry = g
    }

    /// Gray [0, 1] (size²) → normalised `[3, size, size]`.
    public static func normalize(gray: [Float], options: NetworkInputOptions = .init()) -> [Float] {
        var values = [Float](repeating: 0, count: 3 * gray.count)
        normalize(gray: gray, into: &values[...], options: options)
        return values
    }

    /// Writes the normalised three channels of `gray` into `out` (3 · gray.count values), in the options' tone.
    public static func normalize(gray: [Float], into out: inout ArraySlice<Float>, options: NetworkInputOptions = .init()) {
        let channels: [[Float]]
        switch options.tone {
        case .asRead: channels = [gray, gray, gray]
        case .equalized: let e = equalized(gray); channels = [e, e, e]
        case .threeTones: channels = [gray, equalized(gray), gray.map { $0.squareRoot() }]
        case .stretched: let t = stretched(gray); channels = [t, t, t]
        }
        let plane = gray.count, base = out.startIndex
        let means = [options.mean.0, options.mean.1, options.mean.2]
        let stds = [options.std.0, options.std.1, options.std.2]
        for c in 0..<3 {
            let m = means[c], inv = 1 / stds[c], g = channels[c]
            for i in 0..<plane { out[base + c * plane + i] = (g[i] - m) * inv }
        }
    }

    /// The nonzero values' 0.5th–99.5th percentile window stretched to [0, 1], clipped; zeros stay 0 (padding and
    /// black borders neither count nor move). Unchanged by any increasing linear map of the nonzero values.
    public static func stretched(_ gray: [Float]) -> [Float] {
        let nonzero = gray.filter { $0 > 0 }
        let (low, high) = Percentiles.of(nonzero, VOITransform.defaultPercentiles.low, VOITransform.defaultPercentiles.high)
        guard high > low else { return gray.map { $0 > 0 ? 1 : 0 } }
        let scale = 1 / (high - low)
        return gray.map { $0 > 0 ? Float(min(1, max(0, (Double($0) - low) * scale))) : 0 }
    }

    /// Histogram equalisation by rank: each nonzero value becomes (its mid-rank among the nonzero values) / n,
    /// in (0, 1]; ties share one value; zeros stay 0. Deterministic, and unchanged by any strictly increasing
    /// map of the nonzero values.
    public static func equalized(_ gray: [Float]) -> [Float] {
        var keys = [UInt32](), index = [UInt32]()
        keys.reserveCapacity(gray.count); index.reserveCapacity(gray.count)
        for i in gray.indices where gray[i] > 0 { keys.append(gray[i].bitPattern); index.append(UInt32(i)) }
        sortByKey(&keys, carrying: &index)
        let count = keys.count, n = Float(count)
        var out = [Float](repeating: 0, count: gray.count)
        keys.withUnsafeBufferPointer { k in index.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
            var start = 0
            while start < count {
                var end = start + 1
                while end < count && k[end] == k[start] { end += 1 }
                let value = (Float(start + end - 1) / 2 + 1) / n  // mid-rank of the tie group, 1-based
                for j in start..<end { o[Int(i[j])] = value }
                start = end
            }
        } } }
        return out
    }

    /// Sorts positive floats' bit patterns (which order as the floats do) ascending, moving `index` with them: a
    /// stable radix sort, least significant byte first, skipping a byte every key shares. The probe's 680-pixel
    /// input has 462 400 values, and a comparison sort of them cost about 70 ms of a decision's 100–200.
    static func sortByKey(_ keys: inout [UInt32], carrying index: inout [UInt32]) {
        let count = keys.count
        var histogram = [Int](repeating: 0, count: 4 * 256)
        keys.withUnsafeBufferPointer { k in histogram.withUnsafeMutableBufferPointer { h in
            for key in k {
                h[Int(key & 0xff)] += 1; h[256 + Int((key >> 8) & 0xff)] += 1
                h[512 + Int((key >> 16) & 0xff)] += 1; h[768 + Int(key >> 24)] += 1
            }
        } }
        var keys2 = [UInt32](repeating: 0, count: count), index2 = [UInt32](repeating: 0, count: count)
        for byte in 0..<4 where !histogram[(byte * 256)..<(byte * 256 + 256)].contains(count) {
            var offset = [Int](repeating: 0, count: 256), sum = 0
            for v in 0..<256 { offset[v] = sum; sum += histogram[byte * 256 + v] }
            let shift = UInt32(8 * byte)
            keys.withUnsafeBufferPointer { k in index.withUnsafeBufferPointer { i in
                keys2.withUnsafeMutableBufferPointer { k2 in index2.withUnsafeMutableBufferPointer { i2 in
                    offset.withUnsafeMutableBufferPointer { o in
                        for j in 0..<count {
                            let v = Int((k[j] >> shift) & 0xff), at = o[v]
                            o[v] = at + 1; k2[at] = k[j]; i2[at] = i[j]
                        }
                    }
                } }
            } }
            swap(&keys, &keys2); swap(&index, &index2)
        }
    }
}
