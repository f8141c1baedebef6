import Foundation
import Preprocess
import TensorEngine

/// Selective classification on held-out films: at each threshold, how many films get a view written
/// (coverage) and how many of those views are wrong (risk), overall, per true class and per predicted class.
public struct RiskCoverage: Sendable, Codable, Equatable {
    public struct Point: Sendable, Codable, Equatable {
        /// One threshold per class (the same for all on the curve).
        public var thresholds: [Double]
        /// Films tagged and wrong views written, over all films.
        public var tagged: Int
        public var wrong: Int
        /// Per true class (the model's class order): films, tagged, wrong.
        public var perClass: [ClassCount]
        /// Per predicted class: views of that class written, and how many were wrong.
        public var perPrediction: [ClassCount]
        /// Frontal films called "frontal, AP/PA uncertain".
        public var frontalUncertain: Int

        public var threshold: Double { thresholds.first ?? 0 }
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
        films = labels.count
        points = thresholds.map { t in
            Self.point(probabilities: p, labels: labels, views: views, thresholds: [Double](repeating: t, count: views.count), frontalThreshold: t)
        }
    }

    /// The outcome at one threshold per predicted class; `frontalThreshold` is what p(PA) + p(AP) must reach
    /// for "frontal, AP/PA uncertain".
    public static func point(probabilities p: [Float], labels: [Int], views: [RadiographView], thresholds: [Double],
                             frontalThreshold: Double) -> Point {
        let k = views.count
        let frontal = (0..<k).filter { views[$0].family == .frontal }
        var perClass = views.map { ClassCount(name: $0.name, films: 0, tagged: 0, wrong: 0) }
        var perPrediction = views.map { ClassCount(name: $0.name, films: 0, tagged: 0, wrong: 0) }
        var frontalUncertain = 0
        for (i, label) in labels.enumerated() {
            let row = p[(i * k)..<(i * k + k)]
            let best = SoftmaxCrossEntropy.argmax(row)
            perClass[label].films += 1
            perPrediction[best].films += 1
            if Double(row[row.startIndex + best]) >= thresholds[best] {
                perClass[label].tagged += 1
                perPrediction[best].tagged += 1
                if best != label { perClass[label].wrong += 1; perPrediction[best].wrong += 1 }
            } else if frontal.count > 1, frontal.contains(best),
                      frontal.reduce(0.0, { $0 + Double(row[row.startIndex + $1]) }) >= frontalThreshold {
                frontalUncertain += 1
            }
        }
        return Point(thresholds: thresholds, tagged: perClass.reduce(0) { $0 + $1.tagged }, wrong: perClass.reduce(0) { $0 + $1.wrong },
                     perClass: perClass, perPrediction: perPrediction, frontalUncertain: frontalUncertain)
    }

    /// The lowest threshold from which on every point's overall risk is at most `maximumRisk` (the curve is
    /// not monotone on few films, so the whole tail must stay under it).
    public func threshold(maximumRisk: Double) -> Double {
        var chosen = points.last?.threshold ?? 0.99
        for point in points.reversed() {
            guard point.risk <= maximumRisk else { break }
            chosen = point.threshold
        }
        return chosen
    }

    /// Per predicted class, the lowest threshold (not under `floor`) at which the views of that class written
    /// are wrong at most `maximumRisk` of the time (the selective risk of all views at or above it): views the
    /// model gets reliably right are written more often than views it confuses.
    public func thresholdsPerClass(maximumRisk: Double, floor: Double) -> [Double] {
        guard let classes = points.first?.perPrediction.count else { return [] }
        return (0..<classes).map { c in
            points.first { point in
                let counts = point.perPrediction[c]
                return point.threshold >= floor && Double(counts.wrong) <= maximumRisk * Double(counts.tagged)
            }?.threshold ?? points.last?.threshold ?? 0.999
        }
    }

    public func point(at threshold: Double) -> Point? { points.min { abs($0.threshold - threshold) < abs($1.threshold - threshold) } }
}
