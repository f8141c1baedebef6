/// What Distance Source to Detector (0018,1110) says about a chest film's projection. A PA chest film is taken
/// standing at a chest stand, the tube 150–180 cm from the detector (72 inches); a film at the bedside or on the
/// table, which is AP, at about 100–115 cm. So a distance well short of a stand's withholds a PA view
/// (`ViewDecisionPolicy`). It makes no view: an AP film is often taken standing at the stand's distance, and a
/// lateral at either. The modality records it, unlike the descriptions' words.
public struct SourceDistance: Sendable, Equatable {
    /// The distance in millimetres, as recorded.
    public var millimetres: Double

    /// Shorter than this, the film was not taken at a chest stand (150 cm at the least, less a margin for
    /// where the distance is measured to).
    public static let shortestPA: Double = 1400
    /// A chest film's distance lies in it; a value outside (a distance in centimetres or inches, a broken header)
    /// is not weighed.
    public static let plausible: ClosedRange<Double> = 500...5000

    /// Nil for a value no chest film has: not a finite number within `plausible`.
    public init?(millimetres: Double) {
        guard millimetres.isFinite, Self.plausible.contains(millimetres) else { return nil }
        self.millimetres = millimetres
    }

    /// The film was not taken at a chest stand, so it is no PA film.
    public var rulesOutPA: Bool { millimetres < Self.shortestPA }

    /// "Distance Source to Detector says not PA (1000 mm)".
    public var summary: String { "Distance Source to Detector says not PA (\(Int(millimetres.rounded())) mm)" }

    /// Why a short distance rules a PA film out, for the reason a view was withheld.
    public static let explanation = "a PA chest film is taken standing at a chest stand, 1500 mm or more from the tube"
}
