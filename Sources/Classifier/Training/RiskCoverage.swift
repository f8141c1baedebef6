import Foundation
import Preprocess
import TensorEngine

/// Selective classification on held-out films: at each threshold, how many films get a view written
/// (coverage) and how many of those views are wrong (risk), overall and per true class.
public struct RiskCoverage: Sendable, Codable, Equatable {
    public struct Point: Sendable, Codable, Equatable {
        public var threshold: Double
        /// Films tagged and wrong views written, over all films.
        public var tagged: Int
        public var wrong: Int
        /// Per true class (the model's class order): films, tagged, wrong.
        public var perClass: [ClassCount]
        /// Frontal films called "frontal, AP/PA uncertain".
        public var frontalUncertain: Int

        public var risk: Double { tagged > 0 ? Double(wrong) / Double(tagged) : 0 }
    }

    public struct ClassCount: Sendable, Codable, Equatable {
        public var name: String
        public var films: Int
        public var tagged: Int
        public var wrong: Int
    }

    public var films: Int
    public var points: [Point]

    public static let thresholds: [Double] = stride(from: 0.5, through: 0.99, by: 0.01).map { ($0 * 100).rounded() / 100 } + [0.995, 0.999]

    /// - Parameters: calibrated probabilities (N × K), true labels, the classes.
    public init(probabilities p: [Float], labels: [Int], views: [RadiographView], thresholds: [Double] = RiskCoverage.thresholds) {
        let k = views.count
        films = labels.count
        let frontal = (0..<k).filter { views[$0].family == .frontal }
        points = thresholds.map { t in
            var perClass = views.map { v in ClassCount(name: v.name, films: 0, tagged: 0, wrong: 0) }
            var frontalUncertain = 0
            for (i, label) in labels.enumerated() {
                let row = p[(i * k)..<(i * k + k)]
                let best = SoftmaxCrossEntropy.argmax(row)
                perClass[label].films += 1
                if Double(row[row.startIndex + best]) >= t {
                    perClass[label].tagged += 1
                    if best != label { perClass[label].wrong += 1 }
                } else if frontal.count > 1, frontal.contains(best),
                          frontal.reduce(0.0, { $0 + Double(row[row.startIndex + $1]) }) >= t {
                    frontalUncertain += 1
                }
            }
            return Point(threshold: t, tagged: perClass.reduce(0) { $0 + $1.tagged }, wrong: perClass.reduce(0) { $0 + $1.wrong },
                         perClass: perClass, frontalUncertain: frontalUncertain)
        }
    }

    /// The lowest threshold from which on every point's risk is at most `maximumRisk` (the curve is not
    /// monotone on few films, so the whole tail must stay under it).
    public func threshold(maximumRisk: Double) -> Double {
        var chosen = points.last?.threshold ?? 0.99
        for point in points.reversed() {
            guard point.risk <= maximumRisk else { break }
            chosen = point.threshold
        }
        return chosen
    }

    public func point(at threshold: Double) -> Point? { points.min { abs($0.threshold - threshold) < abs($1.threshold - threshold) } }
}
