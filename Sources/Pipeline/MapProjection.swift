import Preprocess

/// Carries a map at the network input's resolution (the padded, resized square) back onto the source
/// image, at an output size no larger than `maxSide` (DICOM objects stay a reasonable size).
public struct MapProjection: Sendable {
    public var geometry: InputGeometry
    public var outputWidth: Int
    public var outputHeight: Int

    public init(geometry: InputGeometry, maxSide: Int) {
        self.geometry = geometry
        let longest = max(geometry.sourceWidth, geometry.sourceHeight)
        let scale = longest > maxSide ? Double(maxSide) / Double(longest) : 1
        outputWidth = max(1, Int((Double(geometry.sourceWidth) * scale).rounded()))
        outputHeight = max(1, Int((Double(geometry.sourceHeight) * scale).rounded()))
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

    /// The map sampled bilinearly (half-pixel centres, clamped at the edges) at every output pixel.
    public func map(_ values: [Float]) -> [Float] {
        let n = geometry.size
        precondition(values.count == n * n)
        var out = [Float](repeating: 0, count: outputWidth * outputHeight)
        for y in 0..<outputHeight {
            for x in 0..<outputWidth {
                let (u, v) = networkPoint(x: x, y: y)
                let fx = min(max(u - 0.5, 0), Double(n - 1)), fy = min(max(v - 0.5, 0), Double(n - 1))
                let x0 = Int(fx), y0 = Int(fy), x1 = min(x0 + 1, n - 1), y1 = min(y0 + 1, n - 1)
                let ax = Float(fx - Double(x0)), ay = Float(fy - Double(y0))
                let top = values[y0 * n + x0] * (1 - ax) + values[y0 * n + x1] * ax
                let bottom = values[y1 * n + x0] * (1 - ax) + values[y1 * n + x1] * ax
                out[y * outputWidth + x] = top * (1 - ay) + bottom * ay
            }
        }
        return out
    }

    /// Labels (superpixels) by nearest neighbour at every output pixel.
    public func labels(_ values: [Int32]) -> [Int32] {
        let n = geometry.size
        var out = [Int32](repeating: 0, count: outputWidth * outputHeight)
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
        let sorted = values.sorted(by: >)
        let k = min(values.count - 1, max(0, Int((Double(values.count) * fraction).rounded(.up)) - 1))
        let threshold = sorted[k]
        return values.map { $0 >= threshold && $0 > 0 }
    }
}
