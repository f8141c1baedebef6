import Classifier
import TensorEngine
import DICOMOutput
import Explain
import Foundation
import Preprocess

/// One input through the whole job: read, classify, explain, write the tagged copy (or conversion),
/// the Secondary Captures per method, the SR and the report thumbnails. Every file is written under a
/// temporary name and renamed. Thread-safe: each call has its own buffers; the model is read only.
public struct ImageProcessor: Sendable {
    public let model: ModelFile
    public let settings: ProcessSettings
    public let layout: OutputLayout
    public let settingsDigest: String
    /// One for the run: it keeps its workspace instead of allocating one per image (calls are serialised).
    let classifier: ViewClassifier

    public init(model: ModelFile, settings: ProcessSettings, layout: OutputLayout) {
        self.model = model
        self.settings = settings
        self.layout = layout
        settingsDigest = settings.digest(modelSHA256: model.sha256)
        classifier = ViewClassifier(model: model, threshold: settings.threshold, gate: settings.gate, readsMarkers: settings.readMarkers)
    }

    /// The thresholds in force (the model's unless the settings give one), in words.
    public var thresholdSummary: String { classifier.policy.thresholdSummary }
    public var markerReading: String { classifier.markerReading }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Never throws: a failure becomes a record with the reason.
    /// - Parameter actedAt: when the tool acted on this content (the first run's time on a rerun).
    public func process(_ input: InputFile, inputSHA256: String, actedAt: Date) -> ImageRecord {
        var record = ImageRecord(input: input.path, relativePath: input.relativePath, inputSHA256: inputSHA256,
                                 settingsDigest: settingsDigest, status: .done)
        record.actedAt = actedAt
        do {
            try run(input, into: &record)
        } catch let e as ImageReadError {
            record.status = .failed; record.error = e.description
        } catch let e as DICOMWriteError {
            // A write error names what was being written (a generated UID, an output path); the line names the input.
            record.status = .failed; record.error = e.description.hasPrefix(input.path) ? e.description : "\(input.path): writing \(e.description)"
            if case .io = e { record.transient = true }
        } catch {
            record.status = .failed; record.error = "\(input.path): \(error)"
        }
        if record.status == .failed {
            // No partial result: what this image already wrote goes (never the input itself).
            for o in record.outputs where !o.path.hasPrefix("/") { unlink(layout.absolute(o.path)) }
            for t in record.thumbnails.values { unlink(layout.absolute(t)) }
            record.outputs = []
            record.thumbnails = [:]
        }
        return record
    }

    func timed<T>(_ stage: String, _ record: inout ImageRecord, _ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { record.seconds[stage, default: 0] += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// The decoded image and what the header gate said of it.
    struct Loaded {
        var radiograph: Radiograph
        var dicom: DICOMFile?
        var headerConfirmsChest: Bool
    }

    /// Stage 1: read through the header gate. nil: skipped (recorded), nothing more to do.
    func read(_ input: InputFile, into record: inout ImageRecord) throws -> Loaded? {
        let gated = try timed("read", &record) { () throws(ImageReadError) -> GatedInput in try GatedInput.read(path: input.path, gate: settings.gate) }
        switch gated {
        case .skipped(let reason, let tags):
            record.status = .skipped
            record.skipReason = reason
            record.decision = ViewDecision.Outcome.skipped.rawValue
            record.headerView = tags.headerView
            return nil
        case .radiograph(let radiograph, let dicom, let verdict):
            record.format = radiograph.source.format.rawValue
            return Loaded(radiograph: radiograph, dicom: dicom, headerConfirmsChest: verdict == .chest)
        }
    }

    /// Stage 2: the decision. A content-check refusal makes the record skipped.
    func classify(_ loaded: Loaded, input: NetworkInput, file: String, into record: inout ImageRecord) -> ViewPrediction {
        let prediction = timed("classify", &record) {
            classifier.decide(file: file, radiograph: loaded.radiograph, input: input, headerConfirmsChest: loaded.headerConfirmsChest)
        }
        let d = prediction.decision
        record.decision = d.outcome.rawValue
        record.view = d.outcome == .view ? d.view?.name : nil
        record.decisionReason = d.reason
        record.marker = d.marker
        record.headerText = d.headerText
        record.mostLikely = d.mostLikely?.name
        record.probability = d.probability
        record.probabilities = d.probabilities
        if let parts = d.parts, let name = d.mostLikely?.name {
            record.networkProbability = parts.networks[name]
            record.probeProbability = parts.probe[name]
        }
        record.contentDistance = d.contentDistance
        record.turnToUpright = d.turnToUpright
        record.headerView = prediction.headerViewPosition
        record.agreement = prediction.agreement.rawValue
        if d.outcome == .notChest {
            record.status = .skipped
            record.skipReason = d.reason
        }
        return prediction
    }

    func run(_ input: InputFile, into record: inout ImageRecord) throws {
        let options = model.options
        guard let loaded = try read(input, into: &record) else { return }
        let radiograph = loaded.radiograph, dicom = loaded.dicom
        let networkInput = timed("preprocess", &record) { NetworkInput(radiograph: radiograph, options: options) }
        let prediction = classify(loaded, input: networkInput, file: input.path, into: &record)
        guard record.status == .done, let mostLikely = prediction.decision.mostLikely,
              let targetClass = model.views.firstIndex(of: mostLikely) else { return }
        if let dicom {
            // A source UID that breaks the UID syntax is still the UID that names it: the objects written below
            // reference it as it is, with a warning (a skipped image is referenced by nothing, so it gets none).
            for keyword in ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"] {
                if let uid = dicom.text(keyword), !DICOMUIDSyntax.isValid(uid) {
                    record.warnings.append("the source's \(keyword) is not a valid UID (PS3.5 9.1); referenced as it is")
                }
            }
        }
        if settings.showPHI {
            record.patientName = radiograph.tags.patientName
            record.patientID = radiograph.tags.patientID
            record.studyInstanceUID = radiograph.tags.studyInstanceUID
        }
        let view = prediction.decision.outcome == .view ? prediction.decision.view?.written(lateralTerm: settings.lateralTerm) : nil

        // Stage 3: explanations of the most likely class.
        var explanations: [ExplanationMethod: Explanation] = [:]
        do {
            explanations = try settings.suite.explain(network: model.network, input: networkInput, options: options,
                                                      methods: settings.methods, targetClass: targetClass,
                                                      probe: model.probe, radiograph: radiograph)
        } catch { throw Failure(description: "\(input.path): \(error)") }
        for (m, e) in explanations { record.seconds[m.rawValue] = e.seconds }

        // Stage 4: outputs.
        let writeStart = Date()
        defer { record.seconds["write"] = Date().timeIntervalSince(writeStart) }
        // The source of the derived objects, and the header decision.
        let source: DICOMFile
        if let dicom {
            source = dicom
            record.headerAction = try tagHeader(input: input, dicom: dicom, view: view, prediction: prediction, record: &record)
        } else {
            source = try RasterConversion.makeSecondaryCapture(path: input.path)
            let rel = layout.converted(input)
            try anonymizedIfAsked(source, sourceUIDs: []).save(to: layout.absolute(rel), keepTransferSyntax: false)
            record.outputs.append(.init(path: rel, kind: .converted, sopInstanceUID: source.text("SOPInstanceUID")))
            record.headerAction = view == nil ? .uncertain : .notInIOD
        }

        // Under --anonymize every derived object refers to the source by replaced UIDs.
        let sourceUIDs: Set<String> = dicom == nil ? [] : Set(["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"].compactMap { source.text($0) })
        // Secondary Captures, one series per method, and the SR that ties them together.
        var srMethods: [ViewReport.Method] = []
        let predictedName = mostLikely.name
        let projectedImage = settings.capture.projectedImage(of: radiograph, geometry: networkInput.geometry)
        for m in settings.methods {
            let e = explanations[m]!
            var context = ExplanationCapture.Context(predictedView: predictedName, probability: prediction.decision.probability ?? 0,
                                                     modelName: model.name, modelSHA256: model.sha256, parameters: settings.suite.summary(m),
                                                     inputSHA256: record.inputSHA256, settingsDigest: settingsDigest)
            context.actedAt = record.actedAt
            let objects = try settings.capture.build(source: source, radiograph: radiograph, geometry: networkInput.geometry,
                                                     explanation: e, context: context, projectedImage: projectedImage)
            for (kind, file, ref) in [("gray", objects.gray, objects.grayReference), ("rgb", objects.rgb, objects.rgbReference)] {
                let rel = layout.capture(input, method: m.fileName, kind: kind)
                try anonymizedIfAsked(file, sourceUIDs: sourceUIDs).save(to: layout.absolute(rel), keepTransferSyntax: false)
                record.outputs.append(.init(path: rel, kind: kind == "gray" ? .graySecondaryCapture(method: m.rawValue) : .rgbSecondaryCapture(method: m.rawValue), sopInstanceUID: ref.sopInstanceUID))
            }
            let pmapRel = layout.capture(input, method: m.fileName, kind: "pmap")
            try anonymizedIfAsked(objects.parametricMap, sourceUIDs: sourceUIDs).save(to: layout.absolute(pmapRel), keepTransferSyntax: false)
            record.outputs.append(.init(path: pmapRel, kind: .parametricMap(method: m.rawValue), sopInstanceUID: objects.parametricMapReference.sopInstanceUID))
            srMethods.append(ViewReport.Method(name: m.displayName, parameters: settings.suite.summary(m),
                                               seriesInstanceUID: objects.seriesInstanceUID, images: [objects.grayReference, objects.rgbReference]))
            srMethods.append(ViewReport.Method(name: m.displayName, parameters: settings.suite.summary(m),
                                               seriesInstanceUID: objects.parametricMapSeriesUID, images: [objects.parametricMapReference]))
            let gspsRel = layout.capture(input, method: m.fileName, kind: "gsps")
            try anonymizedIfAsked(objects.presentationState, sourceUIDs: sourceUIDs).save(to: layout.absolute(gspsRel), keepTransferSyntax: false)
            record.outputs.append(.init(path: gspsRel, kind: .presentationState(method: m.rawValue), sopInstanceUID: objects.presentationStateReference.sopInstanceUID))
            srMethods.append(ViewReport.Method(name: m.displayName, parameters: settings.suite.summary(m),
                                               seriesInstanceUID: objects.presentationStateSeriesUID, images: [objects.presentationStateReference]))
            let thumb = layout.thumbnail(input, kind: m.fileName)
            try writeThumbnail(Overlay.blend(gray: networkInput.gray, map: e.map.values, colormap: settings.capture.colormap, alpha: settings.capture.alpha),
                               channels: 3, to: thumb)
            record.thumbnails[m.rawValue] = thumb
        }
        let sourceUID = source.text("SOPInstanceUID") ?? ""
        let decisionText = (prediction.decision.reason ?? prediction.decision.basis).map { "\(prediction.decision.label): \($0)" } ?? prediction.decision.label
        var report = ViewReport(
            view: view, decision: decisionText, mostLikely: mostLikely.name, probability: prediction.decision.probability ?? 0,
            threshold: model.views.firstIndex(of: mostLikely).map { classifier.policy.classThresholds[$0] } ?? classifier.policy.threshold,
            modelName: model.name, modelSHA256: model.sha256, headerView: prediction.headerViewPosition,
            agreement: prediction.agreement.rawValue, methods: srMethods,
            sopInstanceUID: DICOMUID.derived(kind: "sr|source=\(sourceUID)", inputSHA256: record.inputSHA256, settingsDigest: settingsDigest),
            seriesInstanceUID: DICOMUID.series(kind: "sr", studyInstanceUID: source.text("StudyInstanceUID") ?? sourceUID, settingsDigest: settingsDigest),
            contentDateTime: record.actedAt!)
        report.anonymized = settings.anonymize
        report.instanceNumber = DerivedNumbering.instanceNumber(of: source)
        let srRel = layout.report(input)
        try anonymizedIfAsked(try report.build(source: source), sourceUIDs: sourceUIDs).save(to: layout.absolute(srRel), keepTransferSyntax: false)
        record.outputs.append(.init(path: srRel, kind: .report, sopInstanceUID: report.sopInstanceUID))
        let sourceThumb = layout.thumbnail(input, kind: "source")
        try writeThumbnail(networkInput.gray.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) }, channels: 1, to: sourceThumb)
        record.thumbnails["source"] = sourceThumb
    }

    /// Applies the header policy to a DICOM input: tagged copy under --out, or the input itself with --in-place.
    /// A view goes only where the object's IOD defines it, and replaces a different header view only with
    /// --overwrite-view (and a certain prediction, the only kind that reaches here).
    func tagHeader(input: InputFile, dicom: DICOMFile, view: RadiographView?, prediction: ViewPrediction,
                   record: inout ImageRecord) throws -> ImageRecord.HeaderAction {
        guard let view else { return .uncertain }
        if TaggedCopy.Placement(sopClassUID: dicom.text("SOPClassUID")) == .none { return .notInIOD }
        if settings.anonymize { return .notWrittenAnonymized }
        switch prediction.agreement {
        case .agree: return .unchanged  // the header already says so, perhaps in its own words (LATERAL for LL)
        case .disagree, .headerNotUnderstood: if !settings.overwriteView { return .keptDifferent }
        case .noHeader, .undecided: break
        }
        // Modifying System is an LO (64 characters): the model's name only when it fits, and only in ASCII (other
        // text would re-encode the copy's character set, changing bytes besides the view); its digest always.
        let digest = model.sha256.prefix(16)
        let named = "\(Software.name) \(Software.version) (model \(model.name), sha256 \(digest))"
        let modifyingSystem = named.count <= 64 && named.allSatisfy(\.isASCII) ? named : "\(Software.name) \(Software.version) (model sha256 \(digest))"
        // Tag a fresh copy of the dataset: the loaded one stays the unmodified source of the derived objects.
        let target = try DICOMFile(path: input.path)
        let change = try TaggedCopy.apply(view: view, to: target, overwrite: settings.overwriteView,
                                          modifyingSystem: modifyingSystem,
                                          modificationTime: record.actedAt!)
        guard change.modified else { return .unchanged }
        if settings.inPlace {
            try target.save(replacing: input.path, keepTransferSyntax: true)
            record.inputSHA256 = try Digest.sha256Hex(ofFileAt: input.path)
            record.outputs.append(.init(path: input.path, kind: .taggedInPlace, sopInstanceUID: dicom.text("SOPInstanceUID")))
        } else {
            let rel = layout.taggedCopy(input)
            try target.save(to: layout.absolute(rel), keepTransferSyntax: true)
            record.outputs.append(.init(path: rel, kind: .taggedCopy, sopInstanceUID: dicom.text("SOPInstanceUID")))
        }
        return .tagged
    }

    func anonymizedIfAsked(_ file: DICOMFile, sourceUIDs: Set<String>) throws(DICOMWriteError) -> DICOMFile {
        if settings.anonymize { try Anonymizer.apply(to: file, sourceUIDs: sourceUIDs) }
        return file
    }

    func writeThumbnail(_ bytes: [UInt8], channels: Int, to rel: String) throws {
        let path = layout.absolute(rel)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let size = model.options.size
        try RasterImage.writePNG(bytes, width: size, height: size, channels: channels, to: path)
    }
}
