import DICOMOutput
import Explain
import Foundation
import Preprocess

/// One explanation as the two Secondary Capture images of DESIGN §7.2, in the source's study, one
/// series per method: (a) the grayscale source with the top region in overlay plane 6000 (and LIME's
/// top superpixels in 6002); (b) the RGB blend of the heatmap for viewers that do not draw overlays.
public struct ExplanationCapture: Sendable {
    /// The fraction of the image marked in overlay 6000.
    public var topFraction = 0.2
    /// The longest side of the SC images (the source is shrunk to it, never enlarged).
    public var maxSide = 1024
    public var colormap: Colormap = .jet
    public var alpha: Float = 0.5
    /// LIME: how many of the highest positive superpixels go into overlay 6002 (lime's `num_features` = 5).
    public var limeTopSuperpixels = 5

    public init() {}

    public struct Objects {
        public var gray: DICOMFile
        public var rgb: DICOMFile
        /// The map's values as a Parametric Map (its own series: its modality is the source's).
        public var parametricMap: DICOMFile
        public var parametricMapReference: DICOMFileReference
        public var parametricMapSeriesUID: String
        /// The top region outlined on the source image (its own series: modality PR).
        public var presentationState: DICOMFile
        public var presentationStateReference: DICOMFileReference
        public var presentationStateSeriesUID: String
        public var grayReference: DICOMFileReference
        public var rgbReference: DICOMFileReference
        public var seriesInstanceUID: String
        /// Pixels in overlay 6000, as a fraction of the image.
        public var regionFraction: Double
    }

    /// What the objects say about the prediction and the model.
    public struct Context: Sendable {
        public var predictedView: String
        public var probability: Double
        public var modelName: String
        public var modelSHA256: String
        public var parameters: String
        /// What names the objects' UIDs: the input's SHA-256 and the run's settings digest.
        public var inputSHA256: String
        public var settingsDigest: String
        /// When the tool acted (Instance Creation Date/Time).
        public var actedAt: Date?

        public init(predictedView: String, probability: Double, modelName: String, modelSHA256: String, parameters: String,
                    inputSHA256: String, settingsDigest: String) {
            self.predictedView = predictedView; self.probability = probability
            self.modelName = modelName; self.modelSHA256 = modelSHA256; self.parameters = parameters
            self.inputSHA256 = inputSHA256; self.settingsDigest = settingsDigest
        }
    }

    /// The radiograph at the size the Secondary Captures are written at.
    public func projectedImage(of radiograph: Radiograph, geometry: InputGeometry) -> [Float] {
        MapProjection(geometry: geometry, maxSide: maxSide).image(radiograph)
    }

    /// Series numbers of the explanation series, fixed per method so reruns land in the same series.
    public static func seriesNumber(_ method: ExplanationMethod) -> Int {
        9001 + ExplanationMethod.allCases.firstIndex(of: method)!
    }

    /// `projectedImage`: the radiograph at the output size, when the caller already has it (one per image
    /// for all its methods; see `projectedImage(of:geometry:)`).
    public func build(source: DICOMFile, radiograph: Radiograph, geometry: InputGeometry, explanation: Explanation,
                      context: Context, projectedImage: [Float]? = nil) throws(DICOMWriteError) -> Objects {
        guard let sourceUID = source.text("SOPInstanceUID"), let studyUID = source.text("StudyInstanceUID") else {
            throw .invalid(file: source.path, reason: "the source has no SOP Instance UID or Study Instance UID")
        }
        let projection = MapProjection(geometry: geometry, maxSide: maxSide)
        let w = projection.outputWidth, h = projection.outputHeight
        let gray = projectedImage ?? projection.image(radiograph)
        precondition(gray.count == w * h, "projected image of the wrong size")
        // LIME's map is one weight per superpixel: projected by superpixel (nearest), not interpolated, so no
        // superpixel is cut into strips of in-between values at the top-region threshold.
        let segmentLabels = explanation.lime.map { projection.labels($0.segments) } ?? []
        let map = explanation.lime == nil ? projection.map(explanation.map.values) : projection.nearest(explanation.map.values)
        let region = MapProjection.topRegion(map, fraction: topFraction)
        let method = explanation.method
        // UIDs name the input's content, the method with its parameters, and the settings (with the model).
        let kind = "\(method.rawValue)|\(context.parameters)|top=\(topFraction)|side=\(maxSide)|\(colormap.rawValue)"
        let series = DICOMUID.series(kind: kind, studyInstanceUID: studyUID, settingsDigest: context.settingsDigest)
        let instance = DerivedNumbering.instanceNumber(of: source)
        let what = "\(context.parameters) for the \(context.predictedView) prediction (p = \(String(format: "%.4f", context.probability))) "
            + "of model \(context.modelName) (sha256 \(context.modelSHA256.prefix(16)))"

        var overlays = [SecondaryCapture.Overlay(mask: region, label: "\(method.displayName) top \(Int(topFraction * 100))%",
                                                 description: "Top \(Int(topFraction * 100)) % of the \(method.displayName) map")]
        if let lime = explanation.lime {
            let top = Set(lime.weights.indices.filter { lime.weights[$0] > 0 }.sorted { lime.weights[$0] > lime.weights[$1] }
                .prefix(limeTopSuperpixels).map { Int32($0) })
            let labels = segmentLabels
            overlays.append(.init(mask: labels.map { top.contains($0) }, label: "LIME top superpixels",
                                  description: "The \(top.count) superpixels with the largest positive LIME weights"))
        }
        var graySC = SecondaryCapture(
            width: w, height: h, pixels: .gray8(gray.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) }),
            sopInstanceUID: DICOMUID.derived(kind: "gray|\(kind)|source=\(sourceUID)", inputSHA256: context.inputSHA256, settingsDigest: context.settingsDigest),
            seriesInstanceUID: series, seriesNumber: Self.seriesNumber(method), instanceNumber: 2 * instance - 1,
            seriesDescription: "\(Software.name) \(method.displayName)",
            derivationDescription: "Source image with overlays of \(what)")  // `what` starts with the method's name
        graySC.window = (center: 128, width: 256)
        graySC.createdAt = context.actedAt
        graySC.overlays = overlays
        let rgbPixels = Overlay.blend(gray: gray, map: map, colormap: colormap, alpha: alpha)
        var rgbSC = SecondaryCapture(
            width: w, height: h, pixels: .rgb8(rgbPixels),
            sopInstanceUID: DICOMUID.derived(kind: "rgb|\(kind)|source=\(sourceUID)", inputSHA256: context.inputSHA256, settingsDigest: context.settingsDigest),
            seriesInstanceUID: series, seriesNumber: Self.seriesNumber(method), instanceNumber: 2 * instance,
            seriesDescription: "\(Software.name) \(method.displayName)",
            derivationDescription: "\(colormap.rawValue) heatmap (alpha \(alpha)) of \(what)")
        rgbSC.createdAt = context.actedAt
        let pmap = ParametricMap(
            width: w, height: h, values: map,
            sopInstanceUID: DICOMUID.derived(kind: "pmap|\(kind)|source=\(sourceUID)", inputSHA256: context.inputSHA256, settingsDigest: context.settingsDigest),
            seriesInstanceUID: DICOMUID.series(kind: "pmap|\(kind)", studyInstanceUID: studyUID, settingsDigest: context.settingsDigest),
            seriesNumber: Self.seriesNumber(method) + 100, instanceNumber: instance,
            contentLabel: method.rawValue.uppercased().filter { $0.isLetter || $0.isNumber || $0 == "_" },
            contentDescription: "\(method.displayName) map",
            quantityLabel: method.rawValue.uppercased(),
            quantityExplanation: "\(method.displayName) relevance for the \(context.predictedView) prediction",
            derivationDescription: "\(what), projected onto the source image", createdAt: context.actedAt ?? ImageRecord.now())
        // The top region's outlines on the source image's pixel grid.
        let (sx, sy) = (Float(radiograph.width) / Float(w), Float(radiograph.height) / Float(h))
        let outlines = RegionContours.trace(region, width: w, height: h).map { loop in loop.map { (x: Float($0.x) * sx, y: Float($0.y) * sy) } }
        let label = "\(method.rawValue.uppercased())_TOP\(Int(topFraction * 100))".filter { $0.isLetter || $0.isNumber || $0 == "_" }
        let gsps = PresentationStateOutline(
            outlines: outlines,
            sopInstanceUID: DICOMUID.derived(kind: "gsps|\(kind)|source=\(sourceUID)", inputSHA256: context.inputSHA256, settingsDigest: context.settingsDigest),
            seriesInstanceUID: DICOMUID.series(kind: "gsps|\(kind)", studyInstanceUID: studyUID, settingsDigest: context.settingsDigest),
            seriesNumber: Self.seriesNumber(method) + 200, instanceNumber: instance, label: label,
            description: "\(method.displayName) top \(Int(topFraction * 100)) % outlined",
            layer: "EXPLANATION", layerDescription: "Top \(Int(topFraction * 100)) % of the \(method.displayName) map for the \(context.predictedView) prediction",
            createdAt: context.actedAt ?? ImageRecord.now(), readerWindow: radiograph.source.readerWindow)
        let grayFile = try graySC.build(source: source)
        let rgbFile = try rgbSC.build(source: source)
        return Objects(gray: grayFile, rgb: rgbFile, parametricMap: try pmap.build(source: source),
                       parametricMapReference: DICOMFileReference(sopClassUID: ParametricMap.sopClassUID, sopInstanceUID: pmap.sopInstanceUID),
                       parametricMapSeriesUID: pmap.seriesInstanceUID,
                       presentationState: try gsps.build(source: source),
                       presentationStateReference: DICOMFileReference(sopClassUID: PresentationStateOutline.sopClassUID, sopInstanceUID: gsps.sopInstanceUID),
                       presentationStateSeriesUID: gsps.seriesInstanceUID,
                       grayReference: DICOMFileReference(sopClassUID: SecondaryCapture.sopClassUID, sopInstanceUID: graySC.sopInstanceUID),
                       rgbReference: DICOMFileReference(sopClassUID: SecondaryCapture.sopClassUID, sopInstanceUID: rgbSC.sopInstanceUID),
                       seriesInstanceUID: series,
                       regionFraction: Double(region.reduce(0) { $0 + ($1 ? 1 : 0) }) / Double(max(1, region.count)))
    }
}
