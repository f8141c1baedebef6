import TensorEngine
import Foundation

/// Training augmentation on a gray square: random resized crop, rotation, horizontal flip
/// (composed into one affine map, sampled bilinearly; outside the image is black), then
/// brightness, contrast and gamma. Deterministic for a given generator state.
/// The defaults keep the AP cues: no flip (it mirrors burned-in PORTABLE/AP/SUPINE letters and side
/// markers) and crops of at least 85 % (markers sit in the corners).
public struct Augmentation: Sendable, Equatable, Codable {
    /// Crop side as a fraction of the image side.
    public var cropFraction: ClosedRange<Float> = 0.85...1.0
    /// Aspect ratio jitter of the crop (width / height).
    public var aspect: ClosedRange<Float> = 0.9...1.1
    public var rotationDegrees: Float = 7
    public var flipProbability: Float = 0
    public var brightness: Float = 0.1
    public var contrast: ClosedRange<Float> = 0.8...1.2
    public var gamma: ClosedRange<Float> = 0.8...1.25

    public init() {}

    /// No augmentation: the centre of the image at full size.
    public static let none: Augmentation = {
        var a = Augmentation()
        a.cropFraction = 1...1; a.aspect = 1...1; a.rotationDegrees = 0; a.flipProbability = 0
        a.brightness = 0; a.contrast = 1...1; a.gamma = 1...1
        return a
    }()

    /// Samples an augmented `size × size` image from `source` (side × side), values in [0, 1].
    public func apply<G: RandomNumberGenerator>(_ source: [Float], side: Int, size: Int, rng: inout G) -> [Float] {
        let f = Float.random(in: cropFraction, using: &rng)
        let ar = Float.random(in: aspect, using: &rng)
        let fx = f * ar.squareRoot(), fy = f / ar.squareRoot()
        let tx = Float.random(in: -max(0, 1 - fx) / 2...max(0, 1 - fx) / 2, using: &rng)
        let ty = Float.random(in: -max(0, 1 - fy) / 2...max(0, 1 - fy) / 2, using: &rng)
        let theta = Float.random(in: -rotationDegrees...rotationDegrees, using: &rng) * .pi / 180
        let flip: Float = Float.random(in: 0..<1, using: &rng) < flipProbability ? -1 : 1
        let b = Float.random(in: -brightness...brightness, using: &rng)
        let c = Float.random(in: contrast, using: &rng)
        let g = exp(Float.random(in: log(gamma.lowerBound)...log(gamma.upperBound), using: &rng))

        let s = Float(side), cosT = cos(theta), sinT = sin(theta)
        var out = [Float](repeating: 0, count: size * size)
        for v in 0..<size {
            for u in 0..<size {
                // Output position in [-0.5, 0.5], scaled by the crop, flipped, rotated, shifted.
                let ox = ((Float(u) + 0.5) / Float(size) - 0.5) * fx * flip
                let oy = ((Float(v) + 0.5) / Float(size) - 0.5) * fy
                let sx = (cosT * ox - sinT * oy + 0.5 + tx) * s - 0.5
                let sy = (sinT * ox + cosT * oy + 0.5 + ty) * s - 0.5
                var value = Self.bilinear(source, side: side, x: sx, y: sy)
                value = pow(max(value, 0), g)
                value = (value - 0.5) * c + 0.5 + b
                out[v * size + u] = min(1, max(0, value))
            }
        }
        return out
    }

    /// Bilinear sample with black outside the image.
    static func bilinear(_ src: [Float], side: Int, x: Float, y: Float) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let ax = x - Float(x0), ay = y - Float(y0)
        func at(_ xx: Int, _ yy: Int) -> Float { (xx >= 0 && yy >= 0 && xx < side && yy < side) ? src[yy * side + xx] : 0 }
        let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
        let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
        return top * (1 - ay) + bottom * ay
    }
}
