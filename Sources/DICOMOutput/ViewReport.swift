import Foundation
import Preprocess

/// The run's finding for one image as a Comprehensive SR (SOP class 1.2.840.10008.5.1.4.1.1.88.33) in the
/// source's study: the view (SNOMED CT), its probability, the model, the header's view, and per method its
/// parameters with references to the Secondary Captures. Concepts without a standard code use the local
/// scheme `99CXRX` (PS3.16 8.2: private schemes start with "99").
public struct ViewReport: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    public static let localScheme = "99CXRX"

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
    public var model: String
    public var headerView: String?
    public var agreement: String
    public var methods: [Method]
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var seriesNumber = 9100
    /// Content Date/Time and Instance Creation Date/Time: when the tool acted (the first run's time on a rerun).
    public var contentDateTime: Date

    public init(view: RadiographView?, decision: String, mostLikely: String, probability: Double, threshold: Double, model: String,
                headerView: String?, agreement: String, methods: [Method], sopInstanceUID: String, seriesInstanceUID: String,
                contentDateTime: Date) {
        self.view = view; self.decision = decision; self.mostLikely = mostLikely; self.probability = probability; self.threshold = threshold
        self.model = model; self.headerView = headerView; self.agreement = agreement; self.methods = methods
        self.sopInstanceUID = sopInstanceUID; self.seriesInstanceUID = seriesInstanceUID; self.contentDateTime = contentDateTime
    }

    public func build(source: DICOMFile) throws(DICOMWriteError) -> DICOMFile {
        guard let sourceClass = source.text("SOPClassUID"), let sourceInstance = source.text("SOPInstanceUID"),
              let sourceSeries = source.text("SeriesInstanceUID"), let study = source.text("StudyInstanceUID") else {
            throw .invalid(file: source.path, reason: "the source lacks SOP Class, SOP Instance, Series or Study Instance UID")
        }
        let ds = DICOMFile.empty(name: sopInstanceUID)
        try PatientStudyModules.copy(from: source, to: ds)
        ds.delete("BodyPartExamined")  // image-level attributes: not part of the SR IOD
        ds.delete("PatientOrientation")
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
        // SR Document General
        try ds.put("InstanceNumber", "1")
        try ds.put("CompletionFlag", "COMPLETE")
        try ds.put("VerificationFlag", "UNVERIFIED")
        try ds.put("ContentDate", DICOMDateTime.date(contentDateTime))
        try ds.put("ContentTime", DICOMDateTime.time(contentDateTime))
        try ds.putEmpty("PerformedProcedureCodeSequence")
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
        // SR Document Content: the root container and its items.
        try ds.put("ValueType", "CONTAINER")
        try putCode(ds, "ConceptNameCodeSequence[0]", value: "18748-4", scheme: "LN", meaning: "Diagnostic imaging report")
        try ds.put("ContinuityOfContent", "SEPARATE")
        var item = 0
        func next() -> String { defer { item += 1 }; return "ContentSequence[\(item)]" }
        func concept(_ path: String, _ code: String, _ meaning: String) throws(DICOMWriteError) {
            try ds.put("\(path).RelationshipType", "CONTAINS")
            try putCode(ds, "\(path).ConceptNameCodeSequence[0]", value: code, scheme: Self.localScheme, meaning: meaning)
        }
        let viewItem = next()
        try concept(viewItem, "VIEW", "Predicted view")
        if let view, let code = view.codeValue, let meaning = view.codeMeaning {
            try ds.put("\(viewItem).ValueType", "CODE")
            try putCode(ds, "\(viewItem).ConceptCodeSequence[0]", value: code, scheme: "SCT", meaning: meaning)
        } else {
            try ds.put("\(viewItem).ValueType", "TEXT")
            try ds.put("\(viewItem).TextValue", decision)
        }
        let probabilityItem = next()
        try concept(probabilityItem, "PROB", "Probability of the most likely view")
        try ds.put("\(probabilityItem).ValueType", "NUM")
        try ds.put("\(probabilityItem).MeasuredValueSequence[0].NumericValue", DecimalString.format(probability))
        try putCode(ds, "\(probabilityItem).MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0]", value: "1", scheme: "UCUM", meaning: "no units")
        for (code, meaning, text) in [("MODEL", "Classification model", model),
                                      ("HDRVIEW", "View Position in the source header", headerView ?? "(none)"),
                                      ("AGREE", "Agreement with the header", agreement)] {
            let path = next()
            try concept(path, code, meaning)
            try ds.put("\(path).ValueType", "TEXT")
            try ds.put("\(path).TextValue", text)
        }
        let sourceItem = next()
        try concept(sourceItem, "SRCIMG", "Classified image")
        try putImage(ds, sourceItem, DICOMFileReference(sopClassUID: sourceClass, sopInstanceUID: sourceInstance))
        for m in methods {
            let path = next()
            try concept(path, "EXPL", "Explanation method")
            try ds.put("\(path).ValueType", "TEXT")
            try ds.put("\(path).TextValue", m.parameters)
            for r in m.images {
                let image = next()
                try concept(image, "EXPLIMG", "Explanation image")
                try putImage(ds, image, r)
            }
        }
        return ds
    }

    func putCode(_ ds: DICOMFile, _ path: String, value: String, scheme: String, meaning: String) throws(DICOMWriteError) {
        try ds.put("\(path).CodeValue", value)
        try ds.put("\(path).CodingSchemeDesignator", scheme)
        try ds.put("\(path).CodeMeaning", meaning)
    }

    func putImage(_ ds: DICOMFile, _ path: String, _ r: DICOMFileReference) throws(DICOMWriteError) {
        try ds.put("\(path).ValueType", "IMAGE")
        try ds.put("\(path).ReferencedSOPSequence[0].ReferencedSOPClassUID", r.sopClassUID)
        try ds.putAsIs("\(path).ReferencedSOPSequence[0].ReferencedSOPInstanceUID", r.sopInstanceUID)
    }
}
