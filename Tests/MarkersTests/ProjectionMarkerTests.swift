import Foundation
import Markers
import Preprocess
import TestSupport
import Testing

/// Which OCR text counts as an AP marker, and Tesseract reading real development films.
struct ProjectionMarkerTests {
    @Test("AP-asserting words alone or after AP/SEMI; a lone AP or PA, PA ERECT and words inside other words do not count",
          arguments: [
              ("PORTABLE", "PORTABLE"), ("l portable 08:12", "PORTABLE"), ("AP ERECT MOBILE", "AP ERECT"),
              ("Semi-erect portable", "SEMI ERECT"), ("SUPINO", "SUPINO"), ("x SUPINE y", "SUPINE"),
              ("PORT", "PORT"), ("bedside", "BEDSIDE"), ("AP sitting", "AP SITTING"),
              ("Portátil", "PORTATIL"), ("CLINOSTASI", "CLINOSTASI"), ("decubito supina", "SUPINA"),
              ("AP", nil), ("PA", nil), ("PA ERECT", nil), ("ERECT", nil), ("SEATED", nil), ("PORTUGAL REPORT", nil),
              ("L R 2020", nil), ("", nil),
          ] as [(String, String?)])
    func words(text: String, expected: String?) {
        #expect(ProjectionMarker.apMarker(in: text) == expected, "\(text)")
    }
}

/// Tesseract on development films: markers the curators named are read; PA films carry none.
@Suite(.enabled(if: TestPaths.sharedDataAvailable && BurnedInText.isAvailable, "needs ../shared/data and Tesseract"))
struct BurnedInTextTests {
    func marker(_ file: String) throws -> String? {
        let image = try RadiographLoader.load(path: TestPaths.viewData.appendingPathComponent(file).path)
        return BurnedInText.read(image).flatMap(ProjectionMarker.apMarker(in:))
    }

    @Test("AP films with a PORTABLE / MOBILE / SUPINE marker read as such, the same on every call")
    func apFilms() throws {
        #expect(try marker("AP/covid-19-pneumonia-41-day-0.jpg") != nil)
        #expect(try marker("AP/covid-19-pneumonia-43-day2.jpeg") == "SUPINE")
        let first = try marker("AP/e73d6e89fcd781b8afd159cf533358_jumbo-1.jpeg")
        #expect(first == "PORTABLE")
        #expect(try marker("AP/e73d6e89fcd781b8afd159cf533358_jumbo-1.jpeg") == first)
    }

    @Test("PA films, including ones with a PA ERECT or SITTING label, carry no AP marker")
    func paFilms() throws {
        for file in ["PA/14d81f378173b86cc53f21d2d67040_jumbo.jpeg", "PA/pneumococcal-pneumonia-day0.jpg", "PA/ba45a47c3ef5060ec39891046be7ca_jumbo.jpg",
                     "PA/right-upper-lobe-pneumonia-9-PA.jpg"] {
            #expect(try marker(file) == nil, "\(file)")
        }
    }
}
