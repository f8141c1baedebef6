import DICOMBridge
import Foundation
import Preprocess

/// The run's finding for one image as a TID 1500 Imaging Measurement Report (Comprehensive SR, SOP class
/// 1.2.840.10008.5.1.4.1.1.88.33) in the source's study, built with DCMTK's dcmsr/cmr template classes:
/// language, the algorithm as device observer, the procedure (SNOMED CT 399208008 "Plain chest X-ray"), an
/// image library with the source, and one measurement group per image: tracking identifier and UID, the
/// probability (DCM 122157) with TID 4019 algorithm identification, the view as a qualitative evaluation
/// (DCM 111031 "Image View": its CID 4010 code, or SNOMED CT 82334004 "Indeterminate" when none was decided,
/// with the decision in words), the source as "Source of Measurement" (with the presentation state, when
/// one was written) and every explanation image as an "Illustration of ROI". Standard codes only.
/// Comprehensive SR rather than Enhanced: the same class earlier versions wrote, and room for the spatial
/// coordinates a region of interest would need; no 3D coordinates are used, so not Comprehensive 3D.
public struct ViewReport: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"

    public struct Method: Sendable {
        public var name: String
        public var parameters: String
        public var seriesInstanceUID: String
        public var images: [DICOMFileReference]
        public init(name: String, parameters: String, seriesInstanceUID: String, images: [DICOMFileReference]) {
            self.name = name; self.parameters = parameters; self.seriesInstanceUID = seriesInstanceUID; self.images = images
        }
    }

    /// The certain view; nil when none was decided (then `decision` says why).
    public var view: RadiographView?
    /// The decision in words: the view's name, or "frontal, AP/PA uncertain: …", "uncertain: …".
    public var decision: String
    public var mostLikely: String
    public var probability: Double
    public var threshold: Double
    /// The model's name and SHA-256: the device observer and the algorithm's identity.
    public var modelName: String
    public var modelSHA256: String
    public var headerView: String?
    public var agreement: String
    public var methods: [Method]
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var seriesNumber = 9100
    /// Instance Number within the SR series (one series per study): `DerivedNumbering`, so reports sort as their images.
    public var instanceNumber = 1
    /// The image library then describes the source without its dates and times (`--anonymize`).
    public var anonymized = false
    /// Content Date/Time and Instance Creation Date/Time: when the tool acted (the first run's time on a rerun).
    public var contentDateTime: Date

    public init(view: RadiographView?, decision: String, mostLikely: String, probability: Double, threshold: Double,
                modelName: String, modelSHA256: String, headerView: String?, agreement: String, methods: [Method], sopInstanceUID: String, seriesInstanceUID: String,
                contentDateTime: Date) {
        self.view = view; self.decision = decision; self.mostLikely = mostLikely; self.probability = probability; self.threshold = threshold
        self.modelName = modelName; self.modelSHA256 = modelSHA256; self.headerView = headerView; self.agreement = agreement; self.methods = methods
        self.sopInstanceUID = sopInstanceUID; self.seriesInstanceUID = seriesInstanceUID; self.contentDateTime = contentDateTime
    }

    /// The probability as written: never "1" (a saturated softmax is not certainty), at most 6 decimals.
    public static func probabilityText(_ p: Double) -> String {
        var text = String(format: "%.6f", min(max(p, 0), 0.999999))
        while text.hasSuffix("0") && !text.hasSuffix(".0") { text.removeLast() }
        return text
    }

    /// The algorithm as a device: a UID per model file, so reports of one model share their observer.
    public var deviceObserverUID: String { DICOMUID.uid(forName: "cxr-explain device|model=\(modelSHA256)") }
    public var trackingUID: String { DICOMUID.uid(forName: "cxr-explain tracking|\(sopInstanceUID)") }

    public func build(source: DICOMFile) throws(DICOMWriteError) -> DICOMFile {
        guard let sourceClass = source.text("SOPClassUID"), let sourceInstance = source.text("SOPInstanceUID"),
              let sourceSeries = source.text("SeriesInstanceUID"), let study = source.text("StudyInstanceUID") else {
            throw .invalid(file: source.path, reason: "the source lacks SOP Class, SOP Instance, Series or Study Instance UID")
        }
        let ds = try content(source: source)
        // DCMTK's document carries its own identity and times: ours replace them.
        try PatientStudyModules.copy(from: source, to: ds)
        for keyword in ["BodyPartExamined", "PatientOrientation", "InstanceCreatorUID", "TimezoneOffsetFromUTC"] { ds.delete(keyword) }
        try ds.put("SOPClassUID", Self.sopClassUID)
        try ds.put("SOPInstanceUID", sopInstanceUID)
        try ds.put("InstanceCreationDate", DICOMDateTime.date(contentDateTime))
        try ds.put("InstanceCreationTime", DICOMDateTime.time(contentDateTime))
        // SR Document Series, General Equipment
        try ds.put("Modality", "SR")
        try ds.put("SeriesInstanceUID", seriesInstanceUID)
        try ds.put("SeriesNumber", String(seriesNumber))
        try ds.put("SeriesDescription", "\(Software.name) view classification")
        try ds.putEmpty("ReferencedPerformedProcedureStepSequence")
        try ds.put("Manufacturer", Software.name)
        try ds.put("SoftwareVersions", Software.version)
        try ContributingEquipment.processing.write(to: ds)
        // SR Document General
        try ds.put("InstanceNumber", String(instanceNumber))
        try ds.put("CompletionFlag", "COMPLETE")
        try ds.put("VerificationFlag", "UNVERIFIED")
        try ds.put("ContentDate", DICOMDateTime.date(contentDateTime))
        try ds.put("ContentTime", DICOMDateTime.time(contentDateTime))
        try ds.putEmpty("PerformedProcedureCodeSequence")
        ds.delete("CurrentRequestedProcedureEvidenceSequence")
        var evidence: [(series: String, refs: [DICOMFileReference])] = [(sourceSeries, [DICOMFileReference(sopClassUID: sourceClass, sopInstanceUID: sourceInstance)])]
        for m in methods { evidence.append((m.seriesInstanceUID, m.images)) }
        try ds.putAsIs("CurrentRequestedProcedureEvidenceSequence[0].StudyInstanceUID", study)
        for (i, e) in evidence.enumerated() {
            let series = "CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[\(i)]"
            try ds.putAsIs("\(series).SeriesInstanceUID", e.series)
            for (j, r) in e.refs.enumerated() {
                try ds.put("\(series).ReferencedSOPSequence[\(j)].ReferencedSOPClassUID", r.sopClassUID)
                try ds.putAsIs("\(series).ReferencedSOPSequence[\(j)].ReferencedSOPInstanceUID", r.sopInstanceUID)
            }
        }
        return ds
    }

    /// The SR Document Content, built by DCMTK's TID 1500 classes through the bridge.
    func content(source: DICOMFile) throws(DICOMWriteError) -> DICOMFile {
        let strings = CStrings()
        defer { strings.free() }
        let code: (String, String, String) = view.flatMap { v in v.codeValue.flatMap { c in v.codeMeaning.map { (c, "SCT", $0) } } }
            ?? ("82334004", "SCT", "Indeterminate")
        let parameters = ["most likely \(mostLikely), threshold \(Self.probabilityText(threshold))",
                          "header view \(headerView ?? "none"), \(agreement)"]
            + methods.map(\.parameters).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let parameterPointers: [UnsafePointer<CChar>?] = parameters.map { UnsafePointer(strings.make($0)) }
        let references = methods.flatMap(\.images).map { r in
            dcb_sr_reference(sop_class_uid: strings.make(r.sopClassUID), sop_instance_uid: strings.make(r.sopInstanceUID),
                             is_presentation_state: r.sopClassUID == PresentationStateOutline.sopClassUID ? 1 : 0)
        }
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = parameterPointers.withUnsafeBufferPointer { params in
            references.withUnsafeBufferPointer { refs in
                var spec = dcb_sr_view_report(
                    device_observer_uid: strings.make(deviceObserverUID), device_observer_name: strings.make(Software.name),
                    manufacturer: strings.make(Software.name), model_name: strings.make(modelName),
                    tracking_identifier: strings.make("\(Software.name) view of one image"), tracking_uid: strings.make(trackingUID),
                    view_code_value: strings.make(code.0), view_code_scheme: strings.make(code.1), view_code_meaning: strings.make(code.2),
                    decision_text: strings.make(decision), probability: strings.make(Self.probabilityText(probability)),
                    algorithm_name: strings.make("\(Software.name) view classifier \(modelName)"),
                    algorithm_version: strings.make("\(Software.version); model sha256 \(modelSHA256.prefix(16))"),
                    algorithm_parameters: params.baseAddress, algorithm_parameter_count: params.count,
                    references: refs.baseAddress, reference_count: refs.count, describe_without_dates: anonymized ? 1 : 0)
                return dcb_sr_view_report_build(source.handle, &spec, &out, &err, err.count)
            }
        }
        guard status == 0, let out else { throw .invalid(file: sopInstanceUID, reason: bridgeString(err)) }
        return DICOMFile(handle: out, path: sopInstanceUID)
    }
}
