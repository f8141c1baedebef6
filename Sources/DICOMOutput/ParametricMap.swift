import DICOMBridge
import Foundation
import Preprocess

/// An explanation map as a Parametric Map (SOP class 1.2.840.10008.5.1.4.1.1.30): one float frame over the
/// source image, at the size of the explanation's Secondary Captures (a stated down-sampling: Pixel
/// Spacing is the source's times the shrink factor), with a Real World Value Mapping that names the
/// quantity, derived from the source image. Modules and functional groups are built by DCMTK's dcmpmap.
public struct ParametricMap: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.30"

    public var width: Int
    public var height: Int
    /// Row-major, `width × height`.
    public var values: [Float]
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var instanceNumber: Int
    /// CS (16 characters, upper case): "GRADCAM".
    public var contentLabel: String
    public var contentDescription: String
    /// What the values are (Real World Value Mapping LUT Label and Explanation).
    public var quantityLabel: String
    public var quantityExplanation: String
    public var derivationDescription: String
    /// When the tool acted: Content and Instance Creation Date/Time.
    public var createdAt: Date

    public init(width: Int, height: Int, values: [Float], sopInstanceUID: String, seriesInstanceUID: String, seriesNumber: Int,
                instanceNumber: Int, contentLabel: String, contentDescription: String, quantityLabel: String,
                quantityExplanation: String, derivationDescription: String, createdAt: Date) {
        self.width = width; self.height = height; self.values = values
        self.sopInstanceUID = sopInstanceUID; self.seriesInstanceUID = seriesInstanceUID
        self.seriesNumber = seriesNumber; self.instanceNumber = instanceNumber
        self.contentLabel = contentLabel; self.contentDescription = contentDescription
        self.quantityLabel = quantityLabel; self.quantityExplanation = quantityExplanation
        self.derivationDescription = derivationDescription
        self.createdAt = createdAt
    }

    /// The source's pixel spacing (Pixel Spacing, else Imager Pixel Spacing) on this map's coarser grid.
    func pixelSpacing(source: DICOMFile) -> String? {
        guard let rows = source.number("Rows"), let columns = source.number("Columns"), width > 0, height > 0 else { return nil }
        for keyword in ["PixelSpacing", "ImagerPixelSpacing"] {
            if let r = source.number(keyword, index: 0), let c = source.number(keyword, index: 1), r > 0, c > 0 {
                return DecimalString.format(r * rows / Double(height)) + "\\" + DecimalString.format(c * columns / Double(width))
            }
        }
        return nil
    }

    public func build(source: DICOMFile) throws(DICOMWriteError) -> DICOMFile {
        precondition(values.count == width * height, "map of the wrong size")
        guard let study = source.text("StudyInstanceUID"), !study.isEmpty else {
            throw .invalid(file: source.path, reason: "the source has no Study Instance UID")
        }
        let strings = CStrings()
        defer { strings.free() }
        let low = Double(values.min() ?? 0), high = Double(values.max() ?? 1)
        var spec = dcb_parametric_map(
            rows: UInt32(height), columns: UInt32(width), pixel_spacing: pixelSpacing(source: source).map { UnsafePointer(strings.make($0)) },
            series_number: strings.make(String(seriesNumber)), instance_number: strings.make(String(instanceNumber)),
            content_label: strings.make(contentLabel), content_description: strings.make(String(contentDescription.prefix(64))),
            lut_label: strings.make(String(quantityLabel.prefix(16))), lut_explanation: strings.make(String(quantityExplanation.prefix(64))),
            derivation_description: strings.make(String(derivationDescription.prefix(1024))),
            first_value: low, last_value: high > low ? high : low + 1,
            dimension_organization_uid: strings.make(DICOMUID.uid(forName: "cxr-explain dimension organization|\(sopInstanceUID)")))
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = values.withUnsafeBufferPointer { dcb_parametric_map_build(source.handle, &spec, $0.baseAddress, &out, &err, err.count) }
        guard status == 0, let out else { throw .invalid(file: sopInstanceUID, reason: bridgeString(err)) }
        let ds = DICOMFile(handle: out, path: sopInstanceUID)
        // dcmpmap makes its own identity and times: ours replace them.
        try PatientStudyModules.copy(from: source, to: ds)
        try ds.put("SOPInstanceUID", sopInstanceUID)
        try ds.put("SeriesInstanceUID", seriesInstanceUID)
        // The map's own frame of reference (a projection radiograph has none to share), named by the map.
        try ds.put("FrameOfReferenceUID", DICOMUID.uid(forName: "cxr-explain frame of reference|\(sopInstanceUID)"))
        try ds.put("PositionReferenceIndicator", "")
        for keyword in ["InstanceCreatorUID", "TimezoneOffsetFromUTC", "SeriesDate", "SeriesTime"] { ds.delete(keyword) }
        // Content and creation times (type 1 here): when the tool acted.
        for (date, time) in [("InstanceCreationDate", "InstanceCreationTime"), ("ContentDate", "ContentTime")] {
            try ds.put(date, DICOMDateTime.date(createdAt)); try ds.put(time, DICOMDateTime.time(createdAt))
        }
        try ds.put("SeriesDescription", "\(Software.name) \(contentLabel.lowercased()) map")
        try ds.put("Manufacturer", Software.name)
        try ds.put("SoftwareVersions", Software.version)
        try ds.put("BurnedInAnnotation", "NO")  // the map's pixels are values, never text
        try ContributingEquipment.processing.write(to: ds)
        // Common Instance Reference: the source the map was derived from (same study).
        if let series = source.text("SeriesInstanceUID"), let cls = source.text("SOPClassUID"), let inst = source.text("SOPInstanceUID") {
            try ds.putAsIs("ReferencedSeriesSequence[0].SeriesInstanceUID", series)
            try ds.put("ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPClassUID", cls)
            try ds.putAsIs("ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID", inst)
        }
        return ds
    }
}
