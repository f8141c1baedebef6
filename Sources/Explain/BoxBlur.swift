/// Three passes of a square box filter, ≈ a Gaussian of σ = √(passes · ((2r + 1)² − 1) / 12); near the edges
/// each pixel averages what lies inside the image.
public enum BoxBlur {
    public static func apply(_ image: [Float], side: Int, radius: Int, passes: Int = 3) -> [Float] {
        var a = image
        for _ in 0..<passes {
            var b = a
            for y in 0..<side { for x in 0..<side {
                var s: Float = 0, n: Float = 0
                for t in max(0, x - radius)...min(side - 1, x + radius) { s += a[y * side + t]; n += 1 }
                b[y * side + x] = s / n
            } }
            for y in 0..<side { for x in 0..<side {
                var s: Float = 0, n: Float = 0
                for t in max(0, y - radius)...min(side - 1, y + radius) { s += b[t * side + x]; n += 1 }
                a[y * side + x] = s / n
            } }
        }
        return a
    }
}
