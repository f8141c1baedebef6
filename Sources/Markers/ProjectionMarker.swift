import Foundation
import Preprocess

/// A burned-in marker that says how a frontal film was taken: the radiographer's PORTABLE, MOBILE, SUPINE,
/// SEMI-ERECT, AP ERECT, BEDSIDE, PRONE labels (AP), or PA ERECT, PA SITTING (PA). The AP ones are the markers the
/// development data's curators took as proof against a PA label (`../shared/data/cxr-views/README.md`), so a film
/// carrying one is AP by the same definition the labels follow; a PA one names the projection as plainly. A lone
/// "AP" or "PA" is not one: OCR invents both from texture too often (9 of 85 AP films "read" PA in development).
public enum ProjectionMarker {
    /// Words that alone mean AP (upper case; "PORT" is a common short form). The development data hold Italian,
    /// Spanish and German films too: SUPINO/SUPINA (supine), PORTATIL (portable), CLINOSTASI/CLINOSTATISMO (lying),
    /// CLINO (short for clinostatismo), LIEGEND (lying), BETTAUFNAHME (a bedside film).
    static let apWords: Set<String> = ["PORTABLE", "PORT", "MOBILE", "SUPINE", "BEDSIDE", "PRONE",
                                       "SUPINO", "SUPINA", "PORTATIL", "CLINOSTASI", "CLINOSTATISMO", "LIEGEND", "BETTAUFNAHME", "CLINO"]
    /// Words that complete a marker after "AP", "SEMI" (AP ERECT, SEMI ERECT, SEMI-ERECT: AP) or "PA" (PA ERECT: PA).
    static let postureWords: Set<String> = ["ERECT", "UPRIGHT", "SITTING", "STANDING"]

    /// The view a marker settles on a surely frontal film: AP, PA, or nil for PRONE. Every AP marker, PRONE too,
    /// vetoes a PA (the curators took each as proof against a PA label), but PRONE makes no film AP: a prone patient's
    /// frontal film is taken with the beam entering the back, postero-anterior, yet not the standing PA film the
    /// model's PA class is.
    public static func view(settledBy marker: String) -> RadiographView? {
        marker == "PRONE" ? nil : marker.hasPrefix("PA ") ? .pa : .ap
    }

    /// The first AP-asserting marker in OCR text, as it reads ("PORTABLE", "AP ERECT", "PRONE"), or nil.
    public static func apMarker(in text: String) -> String? {
        markers(in: text).first { view(settledBy: $0) != .pa }
    }

    /// The first PA marker in OCR text ("PA ERECT", "PA SITTING"), or nil.
    public static func paMarker(in text: String) -> String? {
        markers(in: text).first { view(settledBy: $0) == .pa }
    }

    /// Every marker in OCR text, in reading order.
    static func markers(in text: String) -> [String] {
        // Accents folded first: PORTÁTIL is PORTATIL.
        let words = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
            .split(whereSeparator: { !($0.isLetter) })
            .map(String.init)
        var found: [String] = []
        for (i, word) in words.enumerated() {
            if apWords.contains(word) {
                found.append(word)
            } else if ["AP", "SEMI", "PA"].contains(word), i + 1 < words.count, postureWords.contains(words[i + 1]) {
                found.append(word + " " + words[i + 1])
            }
        }
        return found
    }
}
