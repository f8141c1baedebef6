import CTesseract
import Foundation
@testable import Markers
import Preprocess
import TestSupport
import Testing

/// Which OCR text counts as a marker, and Tesseract reading real development films.
struct ProjectionMarkerTests {
    @Test("AP-asserting words alone or after AP/SEMI; a lone AP or PA, PA ERECT and words inside other words do not count",
          arguments: [
              ("PORTABLE", "PORTABLE"), ("l portable 08:12", "PORTABLE"), ("AP ERECT MOBILE", "AP ERECT"),
              ("Semi-erect portable", "SEMI ERECT"), ("SUPINO", "SUPINO"), ("x SUPINE y", "SUPINE"),
              ("PORT", "PORT"), ("bedside", "BEDSIDE"), ("AP sitting", "AP SITTING"),
              ("Portátil", "PORTATIL"), ("CLINOSTASI", "CLINOSTASI"), ("decubito supina", "SUPINA"),
              ("Bettaufnahme liegend", "BETTAUFNAHME"), ("Thorax liegend", "LIEGEND"), ("RX TORACE CLINO", "CLINO"),
              ("AP", nil), ("PA", nil), ("PA ERECT", nil), ("ERECT", nil), ("SEATED", nil), ("PORTUGAL REPORT", nil),
              ("L R 2020", nil), ("CLINOMETER", nil), ("", nil),
          ] as [(String, String?)])
    func words(text: String, expected: String?) {
        #expect(ProjectionMarker.apMarker(in: text) == expected, "\(text)")
    }

    @Test("PA markers: PA followed by a posture word; what each marker settles",
          arguments: [("PA ERECT", "PA ERECT"), ("pa sitting 09:40", "PA SITTING"), ("PA Standing", "PA STANDING"), ("P.A. ERECT", nil),
                      ("PA", nil), ("ERECT PA", nil), ("AP ERECT", nil), ("PAERECT", nil), ("PORTABLE PA ERECT", "PA ERECT")] as [(String, String?)])
    func paWords(text: String, expected: String?) {
        #expect(ProjectionMarker.paMarker(in: text) == expected, "\(text)")
    }

    @Test("a lone AP or PA counts when Tesseract is sure of the word (90 of 100); a PA beside a protocol word does not",
          arguments: [
              ([("PA", 96)], ["PA"]), ([("pa", 97)], ["PA"]), ([("P.A.", 95)], ["PA"]), ([("AP", 90)], ["AP"]), ([("AP:", 94)], ["AP"]),
              ([("PA", 89.9)], []), ([("Pa", 61)], []), ([("PAT", 99)], []), ([("APEX", 99)], []), ([("", 99)], []),
              ([("Chest", 96), ("PA", 97)], []), ([("PA", 97), ("CHEST", 40)], []), ([("Tórax", 20), ("pa", 95)], []),
              ([("Chest", 96), ("AP", 97)], ["AP"]), ([("L", 39), ("PA", 96), ("EE", 88)], ["PA"]),
              ([("AP", 95), ("x", 10), ("PA", 95)], ["AP", "PA"]),
          ] as [([(String, Float)], [String])])
    func loneWords(words: [(String, Float)], expected: [String]) {
        #expect(ProjectionMarker.loneMarkers(in: words.map { ReadWord(text: $0.0, confidence: $0.1) }) == expected, "\(words)")
    }

    @Test("the view a marker settles: PA for a PA marker, none for PRONE, AP for the rest")
    func settledViews() {
        #expect(ProjectionMarker.view(settledBy: "PA ERECT") == .pa)
        #expect(ProjectionMarker.view(settledBy: "PA") == .pa && ProjectionMarker.view(settledBy: "AP") == .ap)
        #expect(ProjectionMarker.view(settledBy: "PRONE") == nil)
        #expect(["PORTABLE", "AP ERECT", "SEMI ERECT", "AP STANDING", "LIEGEND"].allSatisfy { ProjectionMarker.view(settledBy: $0) == .ap })
        #expect(ProjectionMarker.markers(in: "PA ERECT mobile") == ["PA ERECT", "MOBILE"])
        // An AP marker speaks for the film even when a PA one is read first or in the other reading.
        #expect(BurnedInText(film: "PA ERECT mobile", brightest: "").marker == "MOBILE")
        #expect(BurnedInText(film: "PA ERECT", brightest: "SUPINE").marker == "SUPINE")
        #expect(BurnedInText(film: "", brightest: "PA SITTING").marker == "PA SITTING")
        // A lone word counts after the markers of both readings' text, an AP one before a PA one.
        let sure = { (word: String) in [ReadWord(text: word, confidence: 96)] }
        #expect(BurnedInText(film: "PA", brightest: "", filmWords: sure("PA")).marker == "PA")
        #expect(BurnedInText(film: "PA", brightest: "PORTABLE", filmWords: sure("PA")).marker == "PORTABLE")
        #expect(BurnedInText(film: "PA", brightest: "AP", filmWords: sure("PA"), brightestWords: sure("AP")).marker == "AP")
        #expect(BurnedInText(film: "PA ERECT", brightest: "pa", filmWords: sure("PA") + sure("ERECT"), brightestWords: sure("pa")).marker == "PA ERECT")
        #expect(BurnedInText(film: "PA", brightest: "", filmWords: [ReadWord(text: "PA", confidence: 52)]).marker == nil)
    }
}

/// The size a film is read at: large films reduced by a whole factor, small ones enlarged (at most 4×).
struct BurnedInTextWorkingImageTests {
    @Test("reduced by ceil(longer / 2600), enlarged toward 2000 up to 4×, kept between",
          arguments: [(5200, 4000, 2600, 2000), (2601, 1000, 1300, 500), (2600, 2100, 2600, 2100), (2000, 1500, 2000, 1500),
                      (1000, 800, 2000, 1600), (400, 300, 1600, 1200)])
    func sizes(width: Int, height: Int, expectedWidth: Int, expectedHeight: Int) {
        let (pixels, w, h) = BurnedInText.workingImage([Float](repeating: 0.5, count: width * height), width: width, height: height)
        #expect(w == expectedWidth && h == expectedHeight)
        #expect(pixels.count == w * h)
    }

    @Test("a reduction averages each block; an enlargement keeps a flat film flat")
    func values() {
        let (reduced, w, h) = BurnedInText.workingImage((0..<10400).map { Float($0 % 2) }, width: 5200, height: 2)
        #expect(w == 2600 && h == 1 && reduced.allSatisfy { $0 == 0.5 })
        #expect(BurnedInText.workingImage([Float](repeating: 0.25, count: 60000), width: 300, height: 200).pixels.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }
}

/// Tesseract on development films: markers the curators named are read; PA films carry none.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && BurnedInText.isAvailable, "needs ../shared/data and Tesseract"))
struct BurnedInTextTests {
    func film(_ file: String) throws -> Radiograph {
        try RadiographLoader.load(path: TestPaths.viewData.appendingPathComponent(file).path)
    }

    func marker(_ file: String) throws -> String? {
        BurnedInText.read(try film(file))?.apMarker
    }

    @Test("AP films with a PORTABLE / MOBILE / SUPINE marker read as such, the same on every call")
    func apFilms() throws {
        #expect(try marker("AP/covid-19-pneumonia-41-day-0.jpg") != nil)
        #expect(try marker("AP/covid-19-pneumonia-43-day2.jpeg") == "SUPINE")
        let first = try marker("AP/e73d6e89fcd781b8afd159cf533358_jumbo-1.jpeg")
        #expect(first == "PORTABLE")
        #expect(try marker("AP/e73d6e89fcd781b8afd159cf533358_jumbo-1.jpeg") == first)
    }

    @Test("markers only the brightest-pixels reading finds: drawn in the film's brightest value over bone texture (English, German)",
          arguments: [("AP/covid-19-pneumonia-23-day1.jpg", "SUPINE"), ("AP/covid-19-pneumonia-progression-and-regression-day1.jpg", "AP ERECT"),
                      ("AP/61bc50d1.jpg", "LIEGEND"), ("AP/21982772.jpg", "BETTAUFNAHME")])
    func brightestOnly(file: String, expected: String) throws {
        let reading = try #require(BurnedInText.read(try film(file)))
        #expect(ProjectionMarker.apMarker(in: reading.film) == nil, "\(reading.film)")
        #expect(ProjectionMarker.apMarker(in: reading.brightest) == expected, "\(reading.brightest)")
        #expect(reading.apMarker == expected)
    }

    @Test("reading gives the calling thread its own OpenMP settings back (Tesseract is kept to one thread meanwhile)")
    func threadSettingsGivenBack() throws {
        let image = try film("AP/covid-19-pneumonia-43-day2.jpeg")
        let (dynamic, threads) = (omp_get_dynamic(), omp_get_max_threads())
        defer { omp_set_dynamic(dynamic); omp_set_num_threads(threads) }
        omp_set_dynamic(0)
        omp_set_num_threads(3)
        #expect(BurnedInText.read(image)?.apMarker == "SUPINE")
        #expect(omp_get_dynamic() == 0 && omp_get_max_threads() == 3)
    }

    @Test("PA films carry no AP marker; the ones labelled PA ERECT, PA SITTING or PA alone read as such, a burned-in \"Chest PA\" protocol step not",
          arguments: [("PA/14d81f378173b86cc53f21d2d67040_jumbo.jpeg", "PA ERECT"), ("PA/pneumococcal-pneumonia-day0.jpg", "PA SITTING"),
                      ("PA/ba45a47c3ef5060ec39891046be7ca_jumbo.jpg", "PA"), ("PA/c0f74558.jpg", "PA"),
                      ("PA/1e64990d1b40c1758a2aaa9c7f7a85_jumbo.jpeg", "PA"), ("PA/covid-19-pneumonia-93.png", nil),
                      ("PA/right-upper-lobe-pneumonia-9-PA.jpg", nil)] as [(String, String?)])
    func paFilms(file: String, expected: String?) throws {
        let reading = try #require(BurnedInText.read(try film(file)))
        #expect(reading.apMarker == nil, "\(reading.film) | \(reading.brightest)")
        #expect(reading.marker == expected, "\(reading.film) | \(reading.brightest)")
    }

    @Test("each reading's words are its text's words, each with a confidence in 0–100")
    func wordsAreTheText() throws {
        for file in ["PA/covid-19-pneumonia-93.png", "AP/61bc50d1.jpg"] {
            let reading = try #require(BurnedInText.read(try film(file)))
            #expect(!reading.filmWords.isEmpty && !reading.brightestWords.isEmpty, "\(file)")
            #expect(reading.filmWords.map(\.text).joined(separator: " ") == reading.film, "\(file)")
            #expect(reading.brightestWords.map(\.text).joined(separator: " ") == reading.brightest, "\(file)")
            #expect((reading.filmWords + reading.brightestWords).allSatisfy { (0...100).contains($0.confidence) })
        }
    }
}

/// Which projections a header description names.
struct HeaderViewTextTests {
    @Test("descriptions name AP (also by PORTABLE, SUPINE, …), PA and lateral; decubitus, PRONE, PORT and words inside words do not",
          arguments: [
              ("CHEST AP PORTABLE", "AP", "AP PORTABLE"), ("XR CHEST PA AND LATERAL", "PA lateral", "PA LATERAL"),
              ("Thorax p.a.", "PA", "PA"), ("CHEST P-A", "PA", "PA"), ("CXR A/P SUPINE", "AP", "AP SUPINE"), ("Chest L-R", "", ""), ("Torace a.p. supino", "AP", "AP SUPINO"), ("Portable chest", "AP", "PORTABLE"),
              ("Thorax PA + Lat", "PA lateral", "PA LAT"), ("AP/PA", "AP PA", "AP PA"), ("CHEST SEMI-ERECT", "AP", "SEMI"),
              ("Postero-anterior", "PA", "POSTERO"), ("Tórax portátil", "AP", "PORTATIL"), ("CHEST LAT", "lateral", "LAT"),
              ("CHEST 1 VIEW", "", ""), ("LEFT LAT DECUB", "", ""), ("CHEST PRONE", "", ""), ("CXR PORT PLACEMENT", "", ""), ("PAPILLA CAPACITY", "", ""),
              ("", "", ""),
          ] as [(String, String, String)])
    func claims(text: String, claims: String, words: String) {
        let (found, named) = HeaderViewText.claims(in: text)
        #expect(found.sorted().map(\.rawValue).joined(separator: " ") == claims, "\(text)")
        #expect(named.joined(separator: " ") == words, "\(text)")
    }

    @Test("statements in attribute order; a contradiction is a statement without the view; AP only when nothing names PA")
    func statements() {
        var tags = RadiographTags()
        tags.descriptions = ["StudyDescription": "XR CHEST PA AND LAT", "SeriesDescription": "CHEST AP", "ProtocolName": "Chest 1 view"]
        let text = HeaderViewText(tags: tags)
        #expect(text.statements.map(\.attribute) == ["SeriesDescription", "StudyDescription"])
        #expect(text.statements[0].summary == "Series Description says AP (AP)")
        #expect(text.contradiction(of: .pa)?.attribute == "SeriesDescription")
        #expect(text.contradiction(of: .ap)?.attribute == "StudyDescription")
        #expect(text.contradiction(of: .lateral)?.attribute == "SeriesDescription")
        #expect(text.saysAP == nil, "the study names PA")
        tags.descriptions = ["SeriesDescription": "CHEST PORTABLE", "StudyDescription": "XR CHEST 1 VIEW"]
        #expect(HeaderViewText(tags: tags).saysAP?.summary == "Series Description says AP (PORTABLE)")
        // Code meanings of the order's procedure, and the radiographer's comments, count as well.
        tags.descriptions = ["ImageComments": "pt supine", "ProcedureCodeSequence[0].CodeMeaning": "XR Chest PA and Lateral",
                             "PatientOrientationCodeSequence[0].PatientOrientationModifierCodeSequence[0].CodeMeaning": "supine"]
        #expect(HeaderViewText(tags: tags).statements.map(\.summary) == ["Image Comments says AP (SUPINE)", "Patient Orientation Modifier Code says AP (SUPINE)",
                                                                         "Procedure Code says PA and lateral (PA, LATERAL)"])
        #expect(HeaderViewText(tags: RadiographTags()).statements.isEmpty)
    }
}

/// What Patient Orientation says about a projection film.
struct PatientOrientationTests {
    @Test("frontal and lateral, upright or turned; a clockwise quarter turn takes L\\F to H\\L; values that say nothing are nil",
          arguments: [
              ("L\\F", "frontal", 0), ("R\\F", "frontal", 0), ("A\\F", "lateral", 0), ("P\\F", "lateral", 0), ("LP\\FH", "frontal", 0),
              ("l \\ f", "frontal", 0), ("H\\L", "frontal", 270), ("F\\R", "frontal", 90), ("R\\H", "frontal", 180), ("L\\H", "frontal", 180),
              ("H\\A", "lateral", 270), ("F\\P", "lateral", 90), ("P\\H", "lateral", 180),
          ] as [(String, String, Int)])
    func reads(value: String, family: String, turn: Int) throws {
        let o = try #require(PatientOrientation(value))
        #expect(o.family.rawValue == family && o.turnToUpright == turn, "\(value)")
    }

    @Test("empty, one value, three values, unknown letters and both directions in one plane say nothing",
          arguments: ["", "L", "L\\F\\A", "X\\F", "L\\P", "A\\R", "H\\F", "\\F", "L\\"])
    func saysNothing(value: String) {
        #expect(PatientOrientation(value) == nil, "\(value)")
    }

    @Test("the summary names the family, or a turn, and the value; the header text carries it from the tags")
    func summary() throws {
        #expect(PatientOrientation("A\\F")?.summary == "Patient Orientation says lateral (A\\F)")
        #expect(PatientOrientation("h\\l")?.summary == "Patient Orientation says stored turned (H\\L)")
        var tags = RadiographTags()
        tags.patientOrientation = "P\\F"
        #expect(HeaderViewText(tags: tags).orientation == PatientOrientation("P\\F"))
        tags.patientOrientation = "L\\P"
        #expect(HeaderViewText(tags: tags).orientation == nil)
    }
}
