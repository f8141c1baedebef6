/// Whether a colour PNG/JPEG can be a radiograph. Radiographs are gray; exports and photographs of film
/// may carry a tint, but a tint is a function of brightness. So each channel is fitted as a linear
/// function of the luminance, and what the fit leaves (its standard deviation, on a 0–255 scale) is
/// colour that varies on its own: near 0 for gray and tinted film, large for colour pictures.
/// On the PA and lateral films of cxr-views (gray, RGB exports, blue-tinted photographs of film) it is at
/// most 5.4, but two AP exports with coloured annotations reach 11.7, so the limit sits at 20: only plainly
/// colour pictures stop here; the model's content check judges the rest.
public enum ColourCheck {
    /// Above this an RGB image is refused as not a radiograph.
    public static let limit = 20.0

    /// The largest per-channel residual colour, 0–255 scale; 0 for gray images.
    public static func residualColour(_ samples: UnsafeBufferPointer<UInt16>, channels: Int, luminance: [Float], bitDepth: Int) -> Double {
        guard channels >= 3, !luminance.isEmpty else { return 0 }
        let n = luminance.count
        var meanY = 0.0
        for y in luminance { meanY += Double(y) }
        meanY /= Double(n)
        var varY = 0.0
        for y in luminance { varY += (Double(y) - meanY) * (Double(y) - meanY) }
        var worst = 0.0
        for c in 0..<3 {
            var mean = 0.0
            for i in 0..<n { mean += Double(samples[i * channels + c]) }
            mean /= Double(n)
            var cov = 0.0, varC = 0.0
            for i in 0..<n {
                let dc = Double(samples[i * channels + c]) - mean, dy = Double(luminance[i]) - meanY
                cov += dc * dy
                varC += dc * dc
            }
            // Residual variance of the least-squares line c = a·Y + b: var(c) − cov²/var(Y).
            let residual = varY > 0 ? max(0, varC - cov * cov / varY) : varC
            worst = max(worst, (residual / Double(n)).squareRoot())
        }
        return worst * 255 / Double((1 << bitDepth) - 1)
    }
}
