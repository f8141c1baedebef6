import ArgumentParser
import DICOMOutput
import Foundation
import Preprocess

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a PNG or JPEG radiograph into a DICOM Secondary Capture.",
        discussion: """
            16-bit PNGs keep their values (with a window that shows them as cxr-explain does); 8-bit and \
            colour images become 8-bit grayscale. UIDs are derived from the file's content and folder, so \
            converting the same file again gives the same DICOM object. The Secondary Capture IOD defines no \
            view attributes, so none is written; `process` records a converted film's view in its SR and report.
            """)

    @Argument(help: "PNG or JPEG file.")
    var image: String

    @Option(name: .shortAndLong, help: "The DICOM file to write.")
    var out: String

    @Option(help: "Patient ID to record (default empty).")
    var patientID = ""

    @Option(help: "Patient name to record (default empty).")
    var patientName = ""

    @Option(help: "Accession number to record (default empty).")
    var accession = ""

    @Option(help: "Study Instance UID (default: derived from the folder name and patient ID).")
    var studyUID: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let studyUID, !DICOMUIDSyntax.isValid(studyUID) { throw ValidationError("'\(studyUID)' is not a valid UID") }
        for (option, keyword, value) in [("--patient-id", "PatientID", patientID), ("--patient-name", "PatientName", patientName),
                                         ("--accession", "AccessionNumber", accession)] where !value.isEmpty {
            if let problem = DICOMFile.problem(putting: value, into: keyword) { throw ValidationError("\(option) (\(keyword)): \(problem)") }
        }
    }

    func run() throws {
        global.apply()
        var options = RasterConversion.Options()
        options.patientID = patientID
        options.patientName = patientName
        options.accessionNumber = accession
        options.studyInstanceUID = studyUID
        do {
            let file = try RasterConversion.makeSecondaryCapture(path: image, options: options)
            try file.save(to: out, keepTransferSyntax: false)
            print("\(image) -> \(out)")
        } catch let error as CustomStringConvertible {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}
