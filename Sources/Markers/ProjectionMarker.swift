import Foundation

/// A burned-in marker that says a frontal film was taken antero-posteriorly: the radiographer's PORTABLE,
/// MOBILE, SUPINE, SEMI-ERECT, AP ERECT, BEDSIDE, PRONE labels. They are the markers the development data's
/// curators took as proof against a PA label (`../shared/data/cxr-views/README.md`), so a film carrying one
/// is AP by the same definition the labels follow. A lone "AP" or "PA" is not one: OCR invents both from
/// texture too often (9 of 85 AP films "read" PA in development).
public enum ProjectionMarker {
    /// Words that alone mean AP (upper case; "PORT" is a common short form). The development data hold Italian,
    /// Spanish and German films too: SUPINO/SUPINA (supine), PORTATIL (portable), CLINOSTASI/CLINOSTATISMO (lying),
    /// CLINO (short for clinostatismo), LIEGEND (lying), BETTAUFNAHME (a bedside film).
    static let apWords: Set<String> = ["PORTABLE", "PORT", "MOBILE", "SUPINE", "BEDSIDE", "PRONE",
                                       "SUPINO", "SUPINA", "PORTATIL", "CLINOSTASI", "CLINOSTATISMO", "LIEGEND", "BETTAUFNAHME", "CLINO"]
    /// Words that mean AP after "AP" or "SEMI" (AP ERECT, SEMI ERECT, SEMI-ERECT).
    static let postureWords: Set<String> = ["ERECT", "UPRIGHT", "SITTING"]

    /// Whether a marker makes a surely frontal film AP. Every one vetoes a PA (the curators took each as proof
    /// against a PA label), but PRONE does not make a film AP: a prone patient's frontal film is taken with the
    /// beam entering the back, postero-anterior, yet not the standing PA film the model's PA class is.
    public static func settlesAP(_ marker: String) -> Bool { marker != "PRONE" }

    /// The first AP-asserting marker in OCR text, as it reads ("PORTABLE", "AP ERECT"), or nil.
    public static func apMarker(in text: String) -> String? {
        // Accents folded first: PORTÁTIL is PORTATIL.
        let words = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
            .split(whereSeparator: { !($0.isLetter) })
            .map(String.init)
        for (i, word) in words.enumerated() {
            if apWords.contains(word) { return word }
            if (word == "AP" || word == "SEMI"), i + 1 < words.count, postureWords.contains(words[i + 1]) {
                return word + " " + words[i + 1]
            }
        }
        return nil
    }
}
