import ArgumentParser
import Foundation
import Markers
import Preprocess

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show key tags, pixel statistics and what the reader did (decoder, photometric, VOI).")

    @Argument(help: "DICOM, PNG or JPEG files.")
    var files: [String]

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Also read the text burned into the pixels (Tesseract; the film as shown and its brightest pixels alone) and name the marker found, if any (an AP one such as PORTABLE, else a PA one such as PA ERECT). The text is printed as read: burned-in patient names and dates included. process and classify keep only the marker word.")
    var text = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        global.apply()
        var failures: [ImageReadError] = []
        var reports: [InspectReport] = []
        for file in files {
            do {
                let image = try RadiographLoader.load(path: file)
                var report = InspectReport(image)
                if text {
                    let reading = BurnedInText.read(image)
                    report.burnedInText = reading?.film ?? "(not read: \(BurnedInText.notInstalled))"
                    report.burnedInBrightest = reading?.brightest
                    report.marker = reading?.marker
                }
                if json { reports.append(report) } else { print(report.text) }
            } catch {
                printError(error.description)
                failures.append(error)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(files.count == 1 && reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports))
            print(String(decoding: data, as: UTF8.self))
        }
        if !failures.isEmpty {
            if files.count > 1 { printError("\(failures.count) of \(files.count) files failed") }
            throw ExitCode(1)
        }
    }
}

/// What `inspect` shows of one image.
struct InspectReport: Encodable {
    var file: String
    var format: String
    var transferSyntax: String?
    var decoder: String
    var photometric: String
    var modalityTransform: String
    var voi: String
    var invertedForDisplay: Bool
    var width: Int
    var height: Int
    var bitDepth: Int
    var storedMin: Double
    var storedMax: Double
    var storedMean: Double
    var displayMean: Double
    /// With --text: what Tesseract reads on the film and on its brightest pixels alone, and the marker in them
    /// (`BurnedInText.marker`: an AP one, else a PA one).
    var burnedInText: String?
    var burnedInBrightest: String?
    var marker: String?
    var tags: RadiographTags
    /// The header's descriptions that name a projection, in the fixed words that name it ("Series Description
    /// says AP (PORTABLE)"): what `process` weighs beside the network. Never the description itself (PHI).
    var headerWords: [String]

    init(_ r: Radiograph) {
        file = r.source.path
        format = r.source.format.rawValue
        transferSyntax = r.source.transferSyntaxUID
        decoder = r.source.decoder
        photometric = r.source.photometric
        modalityTransform = r.source.modality
        voi = r.source.voi
        invertedForDisplay = r.source.inverted
        width = r.width
        height = r.height
        bitDepth = r.source.bitDepth
        storedMin = r.storedStatistics.min
        storedMax = r.storedStatistics.max
        storedMean = r.storedStatistics.mean
        // Summed in Double: a Float running sum over megapixels drifts by a percent (0.7618 against 0.7536).
        displayMean = r.pixels.isEmpty ? 0 : r.pixels.reduce(0.0) { $0 + Double($1) } / Double(r.pixels.count)
        tags = r.tags
        headerWords = HeaderViewText(tags: r.tags).statements.map(\.summary)
    }

    var text: String {
        var lines = ["\(file)"]
        lines.append("  format        \(format)\(transferSyntax.map { " (\($0))" } ?? "")")
        lines.append("  decoder       \(decoder)")
        let aspect = tags.pixelAspect.map { String(format: "; pixels %.4g times as tall as wide, seen in the patient's proportions", $0) } ?? ""
        lines.append("  size          \(width) x \(height), \(bitDepth) bits\(aspect)")
        lines.append("  photometric   \(photometric)\(invertedForDisplay ? " (inverted for display)" : "")")
        lines.append("  modality LUT  \(modalityTransform)")
        lines.append("  VOI           \(voi)")
        lines.append(String(format: "  stored        min %.0f  max %.0f  mean %.2f", storedMin, storedMax, storedMean))
        lines.append(String(format: "  display mean  %.4f", displayMean))
        if let burnedInText {
            lines.append("  burned-in     \(burnedInText.isEmpty ? "(no text)" : burnedInText)")
            if let burnedInBrightest {
                lines.append("  brightest     \(burnedInBrightest.isEmpty ? "(no text)" : burnedInBrightest)")
            }
            if let marker {
                lines.append("  marker        \(marker) (says \(ProjectionMarker.view(settledBy: marker)?.name ?? "not a standing PA"))")
            } else {
                lines.append("  marker        none")
            }
        }
        let t = tags
        let pairs: [(String, String?)] = [
            ("Modality", t.modality), ("BodyPartExamined", t.bodyPartExamined), ("ViewPosition", t.viewPosition),
            ("ViewCodeSequence", t.viewCodeValue.map { "\($0) \(t.viewCodeMeaning.map { "(\($0))" } ?? "")" }),
            ("PatientOrientation", t.patientOrientation.map(Self.orientationText)),
            ("DistanceSourceToDetector", t.sourceToDetectorDistance.map(Self.distanceText)),
            ("header words", headerWords.isEmpty ? nil : headerWords.joined(separator: "; ")),
            ("SOPClassUID", t.sopClassUID), ("StudyInstanceUID", t.studyInstanceUID),
            ("SeriesInstanceUID", t.seriesInstanceUID), ("SOPInstanceUID", t.sopInstanceUID),
        ]
        for (k, v) in pairs where v != nil { lines.append("  \(k.padding(toLength: max(18, k.count + 1), withPad: " ", startingAt: 0))\(v!)") }
        return lines.joined(separator: "\n")
    }

    /// "1000 mm (short of a chest stand's: a PA view is withheld)", "1800 mm".
    static func distanceText(_ millimetres: Double) -> String {
        let value = String(format: "%g mm", millimetres)
        guard let distance = SourceDistance(millimetres: millimetres) else { return "\(value) (no chest film's distance: not weighed)" }
        return distance.rulesOutPA ? "\(value) (short of a chest stand's: a PA view is withheld)" : value
    }

    /// "L\F (frontal, upright)", "H\L (frontal, stored turned: 270 degrees clockwise sets it upright)".
    static func orientationText(_ value: String) -> String {
        guard let o = PatientOrientation(value) else { return "\(value) (says no projection film's orientation: not weighed)" }
        let lies = o.turnToUpright == 0 ? "upright" : "stored turned: \(o.turnToUpright) degrees clockwise sets it upright"
        return "\(o.value) (\(o.family.rawValue), \(lies))"
    }
}

/// Lets one code path encode either a single report or a list.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}
