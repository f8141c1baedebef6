/// Colormaps for saliency overlays.
public enum Colormap: String, Sendable, CaseIterable, Codable {
    /// MATLAB's jet (piecewise linear: dark blue → cyan → yellow → dark red), as the MATLAB example's figures.
    case jet
    /// Matplotlib's viridis, by a degree-6 polynomial fit (within about 1/255 of the table).
    case viridis

    /// RGB in [0, 1] for a value in [0, 1].
    public func color(_ t: Float) -> (Float, Float, Float) {
        let x = min(1, max(0, t))
        switch self {
        case .jet:
            func ramp(_ v: Float) -> Float { min(1, max(0, 1.5 - abs(v))) }
            return (ramp(4 * x - 3), ramp(4 * x - 2), ramp(4 * x - 1))
        case .viridis:
            let c = Self.viridisCoefficients
            var r: Float = 0, g: Float = 0, b: Float = 0
            for k in stride(from: c.count - 1, through: 0, by: -1) {
                r = r * x + c[k].0; g = g * x + c[k].1; b = b * x + c[k].2
            }
            return (min(1, max(0, r)), min(1, max(0, g)), min(1, max(0, b)))
        }
    }

    /// Viridis as a degree-6 polynomial per channel, constant term first.
    static let viridisCoefficients: [(Float, Float, Float)] = [
        (0.2777273272234177, 0.005407344544966578, 0.3340998053353061),
        (0.1050930431085774, 1.404613529898575, 1.384590162594685),
        (-0.3308618287255563, 0.214847559468213, 0.09509516302823659),
        (-4.634230498983486, -5.799100973351585, -19.33244095627987),
        (6.228269936347081, 14.17993336680509, 56.69055260068105),
        (4.776384997670288, -13.74514537774601, -65.35303263337234),
        (-5.435455855934631, 4.645852612178535, 26.3124352495832),
    ]
}

/// A heatmap blended over a grayscale image: (1 − α)·gray + α·colour, 8-bit RGB interleaved.
public enum Overlay {
    public static func blend(gray: [Float], map: [Float], colormap: Colormap = .jet, alpha: Float = 0.5) -> [UInt8] {
        precondition(gray.count == map.count, "image and map sizes differ")
        // Megapixel Secondary Captures: unchecked buffers, the same arithmetic per pixel.
        return [UInt8](unsafeUninitializedCapacity: gray.count * 3) { out, initialised in
            gray.withUnsafeBufferPointer { g in
                map.withUnsafeBufferPointer { m in
                    for i in 0..<g.count {
                        let (r, gr, b) = colormap.color(m[i])
                        let v = min(1, max(0, g[i])) * (1 - alpha)
                        out[3 * i] = UInt8((v + alpha * r) * 255 + 0.5)
                        out[3 * i + 1] = UInt8((v + alpha * gr) * 255 + 0.5)
                        out[3 * i + 2] = UInt8((v + alpha * b) * 255 + 0.5)
                    }
                }
            }
            initialised = gray.count * 3
        }
    }
}
