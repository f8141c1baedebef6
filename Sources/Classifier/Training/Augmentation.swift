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
        sample(using: &rng).render(source, side: side, size: size)
    }

    /// One draw of every random parameter.
    public func sample<G: RandomNumberGenerator>(using rng: inout G) -> Transform {
        let f = Float.random(in: cropFraction, using: &rng)
        let ar = Float.random(in: aspect, using: &rng)
        var t = Transform()
        t.cropX = f * ar.squareRoot(); t.cropY = f / ar.squareRoot()
        t.shiftX = Float.random(in: -max(0, 1 - t.cropX) / 2...max(0, 1 - t.cropX) / 2, using: &rng)
        t.shiftY = Float.random(in: -max(0, 1 - t.cropY) / 2...max(0, 1 - t.cropY) / 2, using: &rng)
        t.rotation = Float.random(in: -rotationDegrees...rotationDegrees, using: &rng) * .pi / 180
        t.flip = Float.random(in: 0..<1, using: &rng) < flipProbability
        t.brightness = Float.random(in: -brightness...brightness, using: &rng)
        t.contrast = Float.random(in: contrast, using: &rng)
        t.gamma = exp(Float.random(in: log(gamma.lowerBound)...log(gamma.upperBound), using: &rng))
        return t
    }

    /// A fixed geometric and tonal transform of a gray square; the identity by default.
    public struct Transform: Sendable, Equatable {
        /// Crop sides as fractions of the image side; shifts of the crop centre as fractions of it.
        public var cropX: Float = 1, cropY: Float = 1, shiftX: Float = 0, shiftY: Float = 0
        /// Radians.
        public var rotation: Float = 0
        public var flip = false
        public var brightness: Float = 0, contrast: Float = 1, gamma: Float = 1

        public init() {}
        public init(crop: Float, shiftX: Float = 0, shiftY: Float = 0, degrees: Float = 0, gamma: Float = 1) {
            cropX = crop; cropY = crop; self.shiftX = shiftX; self.shiftY = shiftY
            rotation = degrees * .pi / 180; self.gamma = gamma
        }

        /// The `size × size` result from `source` (side × side), values in [0, 1], sampled bilinearly
        /// (outside the image is black).
        public func render(_ source: [Float], side: Int, size: Int) -> [Float] {
            let s = Float(side), cosT = cos(rotation), sinT = sin(rotation), mirror: Float = flip ? -1 : 1
            var out = [Float](repeating: 0, count: size * size)
            for v in 0..<size {
                for u in 0..<size {
                    // Output position in [-0.5, 0.5], scaled by the crop, flipped, rotated, shifted.
                    let ox = ((Float(u) + 0.5) / Float(size) - 0.5) * cropX * mirror
                    let oy = ((Float(v) + 0.5) / Float(size) - 0.5) * cropY
                    let sx = (cosT * ox - sinT * oy + 0.5 + shiftX) * s - 0.5
                    let sy = (sinT * ox + cosT * oy + 0.5 + shiftY) * s - 0.5
                    var value = Augmentation.bilinear(source, side: side, x: sx, y: sy)
                    value = pow(max(value, 0), gamma)
                    value = (value - 0.5) * contrast + 0.5 + brightness
                    out[v * size + u] = min(1, max(0, value))
                }
            }
            return out
        }
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
