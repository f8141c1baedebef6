import Foundation
import Preprocess

/// A burned-in marker that says how a frontal film was taken: the radiographer's PORTABLE, MOBILE, SUPINE,
/// SEMI-ERECT, AP ERECT, BEDSIDE, PRONE labels (AP), or PA ERECT, PA SITTING (PA). The AP ones are the markers the
/// development data's curators took as proof against a PA label (`../shared/data/cxr-views/README.md`), so a film
/// carrying one is AP by the same definition the labels follow; a PA one names the projection as plainly. A lone
/// "AP" or "PA" is one only when Tesseract is sure of the word (`loneMarkers(in:)`): OCR invents both from texture
/// (9 of 85 development AP films "read" PA), but never with the confidence a label reads with.
public enum ProjectionMarker {
    /// Words that alone mean AP (upper case; "PORT" is a common short form). The development data hold Italian,
    /// Spanish and German films too: SUPINO/SUPINA (supine), PORTATIL (portable), CLINOSTASI/CLINOSTATISMO (lying),
    /// CLINO (short for clinostatismo), LIEGEND (lying), BETTAUFNAHME (a bedside film).
    static let apWords: Set<String> = ["PORTABLE", "PORT", "MOBILE", "SUPINE", "BEDSIDE", "PRONE",
                                       "SUPINO", "SUPINA", "PORTATIL", "CLINOSTASI", "CLINOSTATISMO", "LIEGEND", "BETTAUFNAHME", "CLINO"]
    /// Words that complete a marker after "AP", "SEMI" (AP ERECT, SEMI ERECT, SEMI-ERECT: AP) or "PA" (PA ERECT: PA).
    static let postureWords: Set<String> = ["ERECT", "UPRIGHT", "SITTING", "STANDING"]
    /// Tesseract's word confidence (0–100) from which a lone "AP" or "PA" is a marker. On the 197 development films
    /// (`tesseract --psm 11 tsv` on both readings) the "AP" and "PA" words of burned-in labels read with 84–97, most
    /// above 94; the ones invented from texture (lower-case "Pa" a few pixels tall, on AP films and PA films alike)
    /// with at most 61, and no "AP" was read on a PA film nor "PA" on an AP film above 53.
    static let loneWordConfidence: Float = 90
    /// Words beside which a lone PA names an examination, not what was done: "Chest PA" burned in by the modality as
    /// the protocol step, which a bedside film can carry too. Like the header's descriptions, it settles AP only.
    static let protocolWords: Set<String> = ["CHEST", "THORAX", "TORAX", "TORACE"]

    /// The view a marker settles on a surely frontal film: AP, PA, or nil for PRONE. Every AP marker, PRONE too,
    /// vetoes a PA (the curators took each as proof against a PA label), but PRONE makes no film AP: a prone patient's
    /// frontal film is taken with the beam entering the back, postero-anterior, yet not the standing PA film the
    /// model's PA class is.
    public static func view(settledBy marker: String) -> RadiographView? {
        marker == "PRONE" ? nil : marker == "PA" || marker.hasPrefix("PA ") ? .pa : .ap
    }

    /// The first AP-asserting marker in OCR text, as it reads ("PORTABLE", "AP ERECT", "PRONE"), or nil.
    public static func apMarker(in text: String) -> String? {
        markers(in: text).first { view(settledBy: $0) != .pa }
    }

    /// The first PA marker in OCR text ("PA ERECT", "PA SITTING"), or nil.
    public static func paMarker(in text: String) -> String? {
        markers(in: text).first { view(settledBy: $0) == .pa }
    }

    /// The lone "AP" and "PA" words Tesseract read with at least `loneWordConfidence`, in reading order ("P.A." is
    /// PA; "PAT" is not); a PA beside a protocol word ("Chest PA") is left out.
    public static func loneMarkers(in words: [ReadWord]) -> [String] {
        let letters = words.map { folded($0.text).filter(\.isLetter) }
        return words.indices.compactMap { i in
            guard words[i].confidence >= loneWordConfidence, letters[i] == "AP" || letters[i] == "PA" else { return nil }
            let beside = [i - 1, i + 1].filter(letters.indices.contains).map { letters[$0] }
            return letters[i] == "PA" && beside.contains(where: protocolWords.contains) ? nil : letters[i]
        }
    }

    /// Upper case, accents folded: Portátil is PORTATIL.
    static func folded(_ text: String) -> String {
        text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
    }

    /// Every marker in OCR text, in reading order.
    static func markers(in text: String) -> [String] {
        let words = folded(text)
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
