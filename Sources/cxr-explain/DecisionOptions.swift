import ArgumentParser
import Classifier
import Markers
import Preprocess

/// The options that decide whether a view is written, shared by `classify` and `process` so both validate
/// and apply them alike. The threshold's default is the model file's (chosen on its cross-validation).
struct DecisionOptions: ParsableArguments {
    @Option(help: "Calibrated probability a view needs to be written (default: the model file's, chosen on its cross-validation).")
    var threshold: Double?

    @Option(name: .customLong("chest-body-part"), parsing: .singleValue,
            help: "A local Body Part Examined value that means the chest, besides CHEST (repeatable).")
    var chestBodyParts: [String] = []

    @Flag(inversion: .prefixedNo,
          help: "Read burned-in markers (AP: PORTABLE, MOBILE, SUPINE, SEMI-ERECT, AP ERECT, BEDSIDE, PRONE and Italian, Spanish and German forms; PA: PA ERECT, PA SITTING; a lone AP or PA only when Tesseract is sure of the word) with Tesseract on surely frontal films the network does not call AP: an AP one makes an AP/PA-uncertain film AP (PRONE excepted) and vetoes a PA; a PA one makes it PA.")
    var readMarkers = true

    var gate: ChestGate { ChestGate(extraChestBodyParts: chestBodyParts) }

    /// Says once, on stderr, when markers were asked for but Tesseract cannot read them.
    func noteIfMarkersUnread() {
        if readMarkers && !BurnedInText.isAvailable {
            printNote("burned-in markers not read: \(BurnedInText.notInstalled)")
        }
    }

    func validate() throws {
        if let threshold, let problem = ViewDecisionPolicy.validate(threshold: threshold) { throw ValidationError(problem) }
    }
}
