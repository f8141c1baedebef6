import DICOMBridge
import Foundation
import Preprocess

/// A Grayscale Softcopy Presentation State (SOP class 1.2.840.10008.5.1.4.1.1.11.1) for the source image that
/// draws an explanation's top region as outlines on one graphic layer: viewers that do not draw overlay planes
/// show where the model looked on the original image. The display (VOI, shutters, presentation LUT) is the
/// image's own (DCMTK dcmpstat's createFromImage); an image with no usable VOI is shown with the window the
/// reader used, so the outlines sit on the picture the model saw.
public struct PresentationStateOutline: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.11.1"

    /// Closed polylines in the source's pixel coordinates: (column, row), (0, 0) the top-left pixel's corner.
    public var outlines: [[(x: Float, y: Float)]]
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var seriesNumber: Int
    public var instanceNumber: Int
    /// Content Label (CS, at most 16 characters): "GRADCAM_TOP20".
    public var label: String
    public var description: String
    public var layer: String
    public var layerDescription: String
    /// When the tool acted: Presentation Creation and Instance Creation Date/Time.
    public var createdAt: Date
    /// The window the reader chose when the image has no usable VOI of its own (an 8-bit image's stored range or
    /// the percentile window), with its explanation; nil: the image's own display.
    public var readerWindow: Radiograph.ReaderWindow?

    public init(outlines: [[(x: Float, y: Float)]], sopInstanceUID: String, seriesInstanceUID: String, seriesNumber: Int,
                instanceNumber: Int, label: String, description: String, layer: String, layerDescription: String, createdAt: Date,
                readerWindow: Radiograph.ReaderWindow? = nil) {
        self.readerWindow = readerWindow
        self.outlines = outlines; self.sopInstanceUID = sopInstanceUID; self.seriesInstanceUID = seriesInstanceUID
        self.seriesNumber = seriesNumber; self.instanceNumber = instanceNumber; self.label = label
        self.description = description; self.layer = layer; self.layerDescription = layerDescription; self.createdAt = createdAt
    }

    public func build(source: DICOMFile) throws(DICOMWriteError) -> DICOMFile {
        let strings = CStrings()
        defer { strings.free() }
        let points = outlines.flatMap { $0.flatMap { [$0.x, $0.y] } }
        let counts = outlines.map(\.count)
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = points.withUnsafeBufferPointer { p in
            counts.withUnsafeBufferPointer { c in
                var spec = dcb_presentation_state(
                    label: strings.make(String(label.prefix(16))), description: strings.make(String(description.prefix(64))),
                    layer: strings.make(String(layer.prefix(16))), layer_description: strings.make(String(layerDescription.prefix(64))),
                    points: p.baseAddress, point_counts: c.baseAddress, polyline_count: c.count,
                    has_window: readerWindow == nil ? 0 : 1,
                    // LINEAR maps c − 0.5 ± (w − 1)/2 to black and white (PS3.3 C.11.2.1.2.1).
                    window_center: readerWindow.map { ($0.range.lowerBound + $0.range.upperBound) / 2 + 0.5 } ?? 0,
                    window_width: readerWindow.map { $0.range.upperBound - $0.range.lowerBound + 1 } ?? 0,
                    window_explanation: strings.make(readerWindow?.explanation ?? ""))
                return dcb_presentation_state_build(source.handle, &spec, &out, &err, err.count)
            }
        }
        guard status == 0, let out else { throw .invalid(file: sopInstanceUID, reason: bridgeString(err)) }
        let ds = DICOMFile(handle: out, path: sopInstanceUID)
        // dcmpstat makes its own identity and times: ours replace them.
        try PatientStudyModules.copy(from: source, to: ds)
        for keyword in ["InstanceCreatorUID", "TimezoneOffsetFromUTC", "PatientOrientation"] { ds.delete(keyword) }
        try ds.put("SOPInstanceUID", sopInstanceUID)
        try ds.put("SeriesInstanceUID", seriesInstanceUID)
        try ds.put("SeriesNumber", String(seriesNumber))
        try ds.put("InstanceNumber", String(instanceNumber))
        try ds.put("SeriesDescription", "\(Software.name) outlines")
        try ds.put("Manufacturer", Software.name)
        try ds.put("SoftwareVersions", Software.version)
        for (date, time) in [("PresentationCreationDate", "PresentationCreationTime"), ("InstanceCreationDate", "InstanceCreationTime")] {
            try ds.put(date, DICOMDateTime.date(createdAt)); try ds.put(time, DICOMDateTime.time(createdAt))
        }
        try ds.put("ContentCreatorName", "")
        // General Series' Laterality is type 2C, required for a paired body part: absent when the copied Body Part
        // Examined says which (a chest is unpaired), the source's own when it states one, else empty (unknown):
        // a converted PNG has no Body Part Examined, and without one dciodvfy takes an absent Laterality for a
        // missing type 2C (an error) and an empty one for "unknown" (a warning); a GSPS has no Image Laterality
        // to say "U" as the Secondary Captures do.
        ds.delete("Laterality")
        if source.text("Laterality") != nil {
            _ = try ds.copy(DICOMTag(0x0020, 0x0060), from: source)
        } else if ds.text("BodyPartExamined") == nil {
            try ds.put("Laterality", "")
        }
        // Yellow on colour displays (CIELab, PS3.3 C.10.7.1.1: L* 97.1, a* −21.6, b* 94.5 scaled to 0–65535).
        try ds.put("GraphicLayerSequence[0].GraphicLayerRecommendedDisplayCIELabValue", "63662\\27358\\57177")
        try ContributingEquipment.processing.write(to: ds)
        return ds
    }
}
