import DICOMBridge
import Foundation
import Preprocess
import TestSupport
import Testing

/// Reading every shared DICOM file through the bridge, and the lossless codecs against RG2_UNC.
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct DICOMReadingTests {
    static let manifest = readTSV(TestPaths.dicomData.appendingPathComponent("MANIFEST.tsv"))
    static let readable = manifest.map { $0["file"]! }.filter { !$0.hasPrefix("edge/") }

    @Test("every file outside edge/ decodes to the size the manifest gives", arguments: readable)
    func decodes(file: String) throws {
        let row = Self.manifest.first { $0["file"] == file }!
        let size = row["rows_x_cols"]!.split(separator: "x").map { Int($0)! }
        let dicom = try DICOMFile(path: TestPaths.dicom(file))
        let info = try dicom.pixelInfo()
        #expect(info.rows == size[0] && info.columns == size[1], "\(file): \(info.rows)x\(info.columns)")
        #expect(info.photometric == row["photometric"])
        #expect(info.transferSyntaxUID == String(row["transfer_syntax"]!.split(separator: " ")[0]))
        let stored = try dicom.decodeStoredValues()
        #expect(stored.count == size[0] * size[1])
        #expect(stored.contains { $0 != stored[0] }, "decoded image is constant")
        let maxStored = Int32(1) << Int32(info.bitsStored)
        #expect(stored.allSatisfy { $0 >= 0 && $0 < maxStored })
    }

    @Test("lossless encodings of RG2 give exactly the stored values of RG2_UNC", arguments: ["JPLL", "JLSL", "RLE", "J2KR"])
    func losslessMatchesReference(encoding: String) throws {
        let reference = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_UNC.dcm")).decodeStoredValues()
        let file = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_\(encoding).dcm"))
        let decoded = try file.decodeStoredValues()
        #expect(decoded.count == reference.count)
        let mismatches = zip(decoded, reference).filter { $0 != $1 }.count
        #expect(mismatches == 0, "\(encoding): \(mismatches) values differ from RG2_UNC")
        #expect(try file.pixelInfo().isEncapsulated)
    }

    @Test("JPEG 2000: the dataset's Pixel Representation wins over an unsigned codestream (as GDCM and pydicom read it)")
    func jpeg2000SignednessFromDataset() throws {
        let dcmodify = try #require(Tool.find("dcmodify"), "dcmodify (dcmtk) is needed")
        let copy = TestPaths.temporaryDirectory("j2k-signed").appendingPathComponent("signed.dcm").path
        try FileManager.default.copyItem(atPath: TestPaths.dicom("nonchest_CR_RG2_J2KR.dcm"), toPath: copy)
        #expect(try Tool.run(dcmodify, ["-nb", "-m", "(0028,0103)=1", copy]).status == 0)
        let unsigned = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_J2KR.dcm")).decodeStoredValues()
        let signed = try DICOMFile(path: copy).decodeStoredValues()
        // 10 bits stored: 512…1023 are −512…−1 in two's complement.
        #expect(signed == unsigned.map { $0 >= 512 ? $0 - 1024 : $0 })
        #expect(signed.min()! < 0 && unsigned.min()! >= 0 && unsigned.max()! >= 512)
    }

    @Test("the lossy 12-bit JPEG (JPLY) decodes close to the reference")
    func lossyIsClose() throws {
        let reference = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_UNC.dcm")).decodeStoredValues()
        let decoded = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_JPLY.dcm")).decodeStoredValues()
        let meanAbs = zip(decoded, reference).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(reference.count)
        #expect(meanAbs > 0 && meanAbs < 8, "mean |diff| \(meanAbs)")
    }

    @Test("decoding leaves the compressed dataset untouched (decode twice, same transfer syntax)")
    func decodeDoesNotChangeDataset() throws {
        let file = try DICOMFile(path: TestPaths.dicom("nonchest_CR_RG2_JLSL.dcm"))
        let first = try file.decodeStoredValues()
        #expect(file.transferSyntaxUID == "1.2.840.10008.1.2.4.80")
        #expect(try file.pixelInfo().isEncapsulated)
        #expect(try file.decodeStoredValues() == first)
    }

    @Test("modality values decoded in place equal the stored values mapped apart, with their statistics and padding, under identity, a rescale and a LUT",
          arguments: readable)
    func modalityValuesInPlace(file: String) throws {
        let dicom = try DICOMFile(path: TestPaths.dicom(file))
        let stored = try dicom.decodeStoredValues()
        let lutFile = try DICOMFile(path: TestPaths.dicom("nonchest_CR_teeth_CR-ModalitySequenceLUT.dcm"))
        let lut = ModalityTransform.read(from: lutFile, signed: false)
        guard case .lut = lut else { Issue.record("no Modality LUT read: \(lut)"); return }
        // The darkest few stored values as padding, so that the mask has both answers.
        let low = stored.min()!
        let padding = low...(low + 3)
        for transform in [ModalityTransform.identity, .rescale(slope: 0.37, intercept: -1024), lut] {
            let decoded = try dicom.decodeModalityValues(transform, padding: padding)
            let expected = transform.apply(stored)
            #expect(decoded.values.map(\.bitPattern) == expected.map(\.bitPattern), "\(file), \(transform)")
            #expect(decoded.storedStatistics == Radiograph.Statistics(stored.map { Int($0) }))
            #expect(decoded.isPadding == stored.map { padding.contains($0) })
            #expect(decoded.isPadding!.contains(true) && decoded.isPadding!.contains(false))
        }
        #expect(try dicom.decodeModalityValues(.identity, padding: nil).isPadding == nil)
    }

    @Test("the ACR-NEMA file without meta header reads, and equals the Part 10 version of the same image")
    func acrNema() throws {
        let old = try DICOMFile(path: TestPaths.dicom("edge/CR-MONO1-10-chest_nometa_acrnema.dcm"))
        #expect(!old.hasMetaHeader)
        let new = try DICOMFile(path: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"))
        #expect(try old.decodeStoredValues() == new.decodeStoredValues())
        #expect(try old.pixelInfo().photometric == "MONOCHROME1")
    }

    @Test("file meta information (group 0002) reads by keyword like the dataset's attributes; the ACR-NEMA file has none")
    func metaInformation() throws {
        let file = try DICOMFile(path: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"))
        #expect(file.text("MediaStorageSOPClassUID") == file.text("SOPClassUID"))
        #expect(file.text("MediaStorageSOPInstanceUID") == file.text("SOPInstanceUID"))
        #expect(file.text("TransferSyntaxUID") == "1.2.840.10008.1.2.1")
        let old = try DICOMFile(path: TestPaths.dicom("edge/CR-MONO1-10-chest_nometa_acrnema.dcm"))
        #expect(old.text("MediaStorageSOPClassUID") == nil)
    }

    @Test("a header without pixel data is a typed error naming the file")
    func noPixelData() {
        let path = TestPaths.dicom("edge/CR_PA_chest_header_only_no_pixeldata_charset_chrJapMulti.dcm")
        #expect(throws: ImageReadError.noPixelData(file: path, reason: "no Pixel Data element")) {
            try RadiographLoader.load(path: path)
        }
    }

    @Test("pixel data shorter than declared is a truncation error")
    func truncated() {
        let path = TestPaths.dicom("edge/MR_truncated_pixeldata.dcm")
        do {
            _ = try RadiographLoader.load(path: path)
            Issue.record("truncated file loaded")
        } catch {
            guard case .truncated(let file, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == path)
            #expect(reason.contains("truncated"))
        }
    }

    @Test("loading from memory gives the same pixels as loading the file")
    func memoryLoad() throws {
        let path = TestPaths.dicom("nonchest_CR_RG2_RLE.dcm")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let fromMemory = try DICOMFile(bytes: bytes, name: "memory")
        #expect(try fromMemory.decodeStoredValues() == DICOMFile(path: path).decodeStoredValues())
    }

    @Test("every shared file that reads from disk reads from memory with the same stored values")
    func memoryLoadEveryFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestPaths.dicomData.path).filter { $0.hasSuffix(".dcm") }.sorted()
        var compared = 0
        for name in names {
            let path = TestPaths.dicom(name)
            guard let fromFile = try? DICOMFile(path: path), let stored = try? fromFile.decodeStoredValues() else { continue }
            let fromMemory = try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), name: name)
            #expect(try fromMemory.decodeStoredValues() == stored, "\(name)")
            compared += 1
        }
        #expect(compared >= 10)
    }

    @Test("a buffer whose values declare more bytes than it holds is refused before DCMTK allocates them")
    func memoryLoadDeclaredLengths() throws {
        let truncated = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.dicom("edge/MR_truncated_pixeldata.dcm"))))
        #expect(throws: ImageReadError.truncated(file: "mr", reason: "truncated: the data ends inside an attribute (declared length exceeds the data)")) {
            try DICOMFile(bytes: truncated, name: "mr")
        }
        // Pixel data that declares 4 GB, and an encapsulated fragment that declares 4 GB, after a real header.
        let path = TestPaths.dicom("nonchest_CR_RG2_RLE.dcm")
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pixelTag: [UInt8] = [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0]  // (7FE0,0010) OB, explicit VR LE
        let at = try #require((0..<(whole.count - 8)).first { Array(whole[$0..<($0 + 8)]) == pixelTag })
        var fragment = Array(whole.prefix(at + 12 + 8))  // pixel data header, first item (offset table) header
        fragment.replaceSubrange((at + 16)..<(at + 20), with: [0xF0, 0xFF, 0xFF, 0xFF])
        var native = Array(whole.prefix(at + 12))
        native.replaceSubrange((at + 8)..<(at + 12), with: [0xF0, 0xFF, 0xFF, 0xFF])
        for bytes in [fragment, native] {
            #expect(throws: ImageReadError.truncated(file: "x", reason: "truncated: the data ends inside an attribute (declared length exceeds the data)")) {
                try DICOMFile(bytes: bytes, name: "x")
            }
        }
    }

    @Test("tags the later stages need are read")
    func tags() throws {
        let image = try RadiographLoader.load(path: TestPaths.dicom("chest_CR_PA_RG1_JLSN.dcm"))
        #expect(image.tags.modality == "CR")
        #expect(image.tags.viewPosition == "PA")
        #expect(image.tags.bodyPartExamined == "CHEST")
        #expect(image.tags.sopClassUID == "1.2.840.10008.5.1.4.1.1.1")
        #expect(image.tags.studyInstanceUID == "1.3.6.1.4.1.5962.1.2.9.20040826185059.5457")
        #expect(image.tags.rows == 1955 && image.tags.columns == 1841)
        #expect(image.tags.bitsStored == 15)
        #expect(image.source.decoder == "DCMTK dcmjpls (CharLS)")
    }
}
