import Foundation
import Preprocess

/// A Secondary Capture Image (SOP class 1.2.840.10008.5.1.4.1.1.7): grayscale with 1-bit overlay
/// planes, or RGB. Everything is checked before anything is written (as highdicom's SCImage does).
public struct SecondaryCapture: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.7"

    public enum Pixels: Sendable {
        /// 8-bit MONOCHROME2.
        case gray8([UInt8])
        /// 16-bit MONOCHROME2 with `bitsStored` significant bits.
        case gray16([UInt16], bitsStored: Int)
        /// 8-bit RGB, interleaved (Planar Configuration 0).
        case rgb8([UInt8])
    }

    /// A 1-bit overlay plane (ROI) over the whole image.
    public struct Overlay: Sendable {
        public var mask: [Bool]
        public var label: String
        public var description: String
        public init(mask: [Bool], label: String, description: String) {
            self.mask = mask
            self.label = label
            self.description = description
        }
    }

    /// Where patient and study come from.
    public enum Origin: Sendable {
        case source(DICOMFileReference)
        case newStudy(NewStudy)
    }

    public var width: Int
    public var height: Int
    public var pixels: Pixels
    public var overlays: [Overlay] = []
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var instanceNumber: Int
    public var seriesDescription: String
    public var derivationDescription: String
    /// Window (LINEAR) so viewers show grayscale images as we do.
    public var window: (center: Double, width: Double)?
    public var imageType = "DERIVED\\SECONDARY"
    public var conversionType = "WSD"
    /// Burned In Annotation for an image without a source (a conversion); nil writes none: we cannot know
    /// what text a PNG or JPEG shows. With a source, the source's value is copied instead.
    public var burnedInAnnotation: Bool?
    /// Instance Creation Date/Time: when the tool acted (nil: not written, as for conversions, which are
    /// named by their content alone).
    public var createdAt: Date?
    /// For an image without a source: the lossy compression its pixels went through (a JPEG file).
    public var lossyHistory: LossyHistory?

    public init(width: Int, height: Int, pixels: Pixels, sopInstanceUID: String, seriesInstanceUID: String,
                seriesNumber: Int, instanceNumber: Int = 1, seriesDescription: String, derivationDescription: String) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.sopInstanceUID = sopInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.seriesNumber = seriesNumber
        self.instanceNumber = instanceNumber
        self.seriesDescription = seriesDescription
        self.derivationDescription = derivationDescription
    }

    /// Checks sizes and values; the message names what is wrong.
    public func validate() throws(DICOMWriteError) {
        let n = width * height
        guard width > 0, height > 0, width <= 65535, height <= 65535 else {
            throw .invalid(file: sopInstanceUID, reason: "image size \(width)x\(height) is not representable")
        }
        switch pixels {
        case .gray8(let p) where p.count != n, .rgb8(let p) where p.count != 3 * n:
            throw .invalid(file: sopInstanceUID, reason: "pixel buffer does not match \(width)x\(height)")
        case .gray16(let p, let bits) where p.count != n || !(1...16).contains(bits):
            throw .invalid(file: sopInstanceUID, reason: "16-bit pixel buffer does not match \(width)x\(height) or bits stored \(bits)")
        default: break
        }
        if case .rgb8 = pixels, !overlays.isEmpty {
            throw .invalid(file: sopInstanceUID, reason: "overlay planes are only written on grayscale images")
        }
        guard overlays.count <= 16 else { throw .invalid(file: sopInstanceUID, reason: "at most 16 overlay planes") }
        for (i, o) in overlays.enumerated() where o.mask.count != n {
            throw .invalid(file: sopInstanceUID, reason: "overlay \(i) has \(o.mask.count) values, image has \(n)")
        }
        for uid in [sopInstanceUID, seriesInstanceUID] where !DICOMUIDSyntax.isValid(uid) {
            throw .invalid(file: sopInstanceUID, reason: "'\(uid)' is not a valid UID")
        }
    }

    /// Builds the dataset, copying Patient and Study from `source` (or a new study), referencing it.
    public func build(source: DICOMFile?, newStudy: NewStudy? = nil) throws(DICOMWriteError) -> DICOMFile {
        try validate()
        let ds = DICOMFile.empty(name: sopInstanceUID)
        if let source {
            try PatientStudyModules.copy(from: source, to: ds)
            try ds.copy(DICOMTag(0x0020, 0x0062), from: source)  // Image Laterality
            try LossyHistory(source: source)?.write(to: ds)
            // Our derived pixels show whatever the source's show: its Burned In Annotation, never a claim of ours.
            if let burnedIn = source.text("BurnedInAnnotation") { try ds.put("BurnedInAnnotation", burnedIn) }
            if let cls = source.text("SOPClassUID"), let inst = source.text("SOPInstanceUID") {
                try ds.put("SourceImageSequence[0].ReferencedSOPClassUID", cls)
                try ds.putAsIs("SourceImageSequence[0].ReferencedSOPInstanceUID", inst)
            }
        } else if let newStudy {
            try newStudy.write(to: ds)
        } else {
            throw .invalid(file: sopInstanceUID, reason: "neither a source nor a new study given")
        }
        try ds.put("SOPClassUID", Self.sopClassUID)
        try ds.put("SOPInstanceUID", sopInstanceUID)
        if let createdAt {
            try ds.put("InstanceCreationDate", DICOMDateTime.date(createdAt))
            try ds.put("InstanceCreationTime", DICOMDateTime.time(createdAt))
        }
        // General Series, General Equipment, SC Equipment
        try ds.put("Modality", "OT")
        try ds.put("SeriesInstanceUID", seriesInstanceUID)
        try ds.put("SeriesNumber", String(seriesNumber))
        try ds.put("SeriesDescription", seriesDescription)
        try ds.put("Manufacturer", Software.name)
        try ds.put("ConversionType", conversionType)
        try ds.put("SecondaryCaptureDeviceManufacturer", Software.name)
        try ds.put("SecondaryCaptureDeviceManufacturerModelName", "cxr-explain")
        try ds.put("SecondaryCaptureDeviceSoftwareVersions", Software.version)
        if source != nil { try ContributingEquipment.processing.write(to: ds) }
        // General Image
        try ds.put("InstanceNumber", String(instanceNumber))
        try ds.put("ImageType", imageType)
        try ds.put("DerivationDescription", derivationDescription)
        if let burnedInAnnotation { try ds.put("BurnedInAnnotation", burnedInAnnotation ? "YES" : "NO") }
        try lossyHistory?.write(to: ds)
        // Image Laterality satisfies General Series' Laterality condition; "U" (unpaired) fits a chest.
        if source?.text("ImageLaterality") == nil { try ds.put("ImageLaterality", source?.text("Laterality") ?? "U") }
        try writePixels(to: ds)
        for (index, overlay) in overlays.enumerated() { try write(overlay, plane: index, to: ds) }
        return ds
    }

    func writePixels(to ds: DICOMFile) throws(DICOMWriteError) {
        try ds.put("Rows", String(height))
        try ds.put("Columns", String(width))
        try ds.put("PixelRepresentation", "0")
        switch pixels {
        case .gray8(let p):
            try putImagePixel(ds, samples: 1, photometric: "MONOCHROME2", allocated: 8, stored: 8)
            try putWindow(ds)
            try ds.putBytes(.pixelData, p)
        case .gray16(let p, let bits):
            try putImagePixel(ds, samples: 1, photometric: "MONOCHROME2", allocated: 16, stored: bits)
            try putWindow(ds)
            try ds.putWords(.pixelData, p)
        case .rgb8(let p):
            try putImagePixel(ds, samples: 3, photometric: "RGB", allocated: 8, stored: 8)
            try ds.put("PlanarConfiguration", "0")
            try ds.putBytes(.pixelData, p)
        }
    }

    func putWindow(_ ds: DICOMFile) throws(DICOMWriteError) {
        guard let window else { return }
        try ds.put("WindowCenter", DecimalString.format(window.center))
        try ds.put("WindowWidth", DecimalString.format(window.width))
    }

    func putImagePixel(_ ds: DICOMFile, samples: Int, photometric: String, allocated: Int, stored: Int) throws(DICOMWriteError) {
        try ds.put("SamplesPerPixel", String(samples))
        try ds.put("PhotometricInterpretation", photometric)
        try ds.put("BitsAllocated", String(allocated))
        try ds.put("BitsStored", String(stored))
        try ds.put("HighBit", String(stored - 1))
    }

    /// Overlay Plane module (PS3.3 C.9.2) for group 6000 + 2·plane, OverlayType R (ROI).
    func write(_ overlay: Overlay, plane: Int, to ds: DICOMFile) throws(DICOMWriteError) {
        let g = String(format: "%04X", 0x6000 + 2 * plane)
        try ds.put("(\(g),0010)", String(height))
        try ds.put("(\(g),0011)", String(width))
        try ds.put("(\(g),0022)", overlay.description)
        try ds.put("(\(g),0040)", "R")
        try ds.put("(\(g),0050)", "1\\1")
        try ds.put("(\(g),0100)", "1")
        try ds.put("(\(g),0102)", "0")
        try ds.put("(\(g),1500)", overlay.label)
        let area = overlay.mask.reduce(0) { $0 + ($1 ? 1 : 0) }
        try ds.put("(\(g),1301)", String(area))
        if case .gray8(let p) = pixels, area > 0 {
            var sum = 0.0, sumSq = 0.0
            for i in p.indices where overlay.mask[i] { let v = Double(p[i]); sum += v; sumSq += v * v }
            let mean = sum / Double(area)
            try ds.put("(\(g),1302)", DecimalString.format(mean))
            try ds.put("(\(g),1303)", DecimalString.format(max(0, sumSq / Double(area) - mean * mean).squareRoot()))
        }
        try ds.putWords(.overlayData(plane: plane), OverlayBits.pack(overlay.mask))
    }
}

/// A source DICOM object referred to by class and instance.
public struct DICOMFileReference: Sendable, Equatable, Codable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    public init(sopClassUID: String, sopInstanceUID: String) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
    }
}

/// Overlay Data packing: one bit a pixel, row-major, least significant bit first, in 16-bit words.
public enum OverlayBits {
    public static func pack(_ mask: [Bool]) -> [UInt16] {
        var words = [UInt16](repeating: 0, count: (mask.count + 15) / 16)
        for (i, on) in mask.enumerated() where on { words[i >> 4] |= UInt16(1) << UInt16(i & 15) }
        return words
    }

    public static func unpack(_ words: [UInt16], count: Int) -> [Bool] {
        (0..<count).map { words[$0 >> 4] & (UInt16(1) << UInt16($0 & 15)) != 0 }
    }
}

/// DS values: at most 16 characters.
enum DecimalString {
    static func format(_ v: Double) -> String {
        for digits in stride(from: 10, through: 1, by: -1) {
            let s = String(format: "%.\(digits)g", v)
            if s.count <= 16 { return s }
        }
        return String(format: "%.0f", v)
    }
}

/// UID syntax (PS3.5 9.1): digits and dots, components without leading zeros, at most 64 characters.
public enum DICOMUIDSyntax {
    public static func isValid(_ uid: String) -> Bool {
        guard !uid.isEmpty, uid.count <= 64 else { return false }
        return uid.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { c in
            !c.isEmpty && c.allSatisfy(\.isNumber) && (c == "0" || c.first != "0")
        }
    }
}
