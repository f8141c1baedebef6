import ArgumentParser
import Classifier
import DICOMOutput
import Explain
import Foundation
import Pipeline

/// What decides the objects a run writes, declared once for `process` and `listen` (one default each).
struct RunOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption, help: "Explanation methods: \(ExplanationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var methods: [ExplanationMethod] = [.gradcam, .lime]

    @OptionGroup var decision: DecisionOptions

    @Option(help: "The ViewPosition a lateral is written as: LL or RL.")
    var lateralTerm: String = "LL"

    @Flag(help: "Replace a different ViewPosition already in the header (the old value goes into Original Attributes Sequence).")
    var overwriteView = false

    // The default depends on the methods. Grad-CAM and its family: one image per core, because reading,
    // resampling and writing are single-threaded (100 images, 2 cores: 10.1 s with 2 jobs, 18.9 s with 1).
    // LIME and occlusion already spread their forward passes over every core; two of them at once were barely
    // faster and much larger (20 images with LIME: 227 s and 686 MB peak with 2 jobs, 236 s and 440 MB with 1).
    @Option(help: "Images processed at once (default: one per core for the Grad-CAM family, 1 with LIME or occlusion, which use every core themselves; each worker uses cores / jobs threads).")
    var jobs: Int?

    var resolvedJobs: Int {
        if let jobs { return jobs }
        return methods.contains(where: { $0 == .lime || $0 == .occlusion }) ? 1 : ProcessInfo.processInfo.activeProcessorCount
    }

    @Flag(help: "Show patient names and IDs in the report and results files.")
    var showPHI = false

    @Flag(help: "De-identify every DICOM object written (PS3.15 basic profile for the attributes copied from the source; source UIDs replaced consistently). No tagged copies are written. Text burned into pixels is not removed.")
    var anonymize = false

    @Option(help: "Fraction of the image marked in overlay plane 6000.") var topFraction = 0.2
    @Option(help: "Longest side of the Secondary Capture images.") var scMaxSide = 1024
    @OptionGroup var explanation: ExplanationOptions

    func validate() throws {
        guard ["LL", "RL"].contains(lateralTerm) else { throw ValidationError("--lateral-term must be LL or RL") }
        if anonymize && showPHI { throw ValidationError("--anonymize and --show-phi cannot be combined") }
        guard (jobs ?? 1) >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard topFraction > 0 && topFraction <= 1 else { throw ValidationError("--top-fraction must be in (0, 1]") }
        guard scMaxSide >= 16 else { throw ValidationError("--sc-max-side must be at least 16") }
    }

    /// Refuses, before any image, methods the model cannot run.
    func check(model: ModelFile) throws { try checkMethods(methods, model: model) }

    /// The settings these options make (`inPlace` is `process`'s alone).
    func settings(inPlace: Bool = false) -> ProcessSettings {
        var settings = ProcessSettings()
        settings.methods = methods
        settings.threshold = decision.threshold
        settings.gate = decision.gate
        settings.readMarkers = decision.readMarkers
        settings.lateralTerm = lateralTerm == "RL" ? .rightLateral : .leftLateral
        settings.overwriteView = overwriteView
        settings.inPlace = inPlace
        settings.showPHI = showPHI
        settings.anonymize = anonymize
        settings.suite.layer = explanation.layer
        settings.suite.lime = explanation.lime
        settings.capture.topFraction = topFraction
        settings.capture.maxSide = scMaxSide
        settings.capture.colormap = explanation.colormap
        return settings
    }
}

/// The feature probe's map needs a model with a probe: said once, before any image, as a usage error.
func checkMethods(_ methods: [ExplanationMethod], model: ModelFile) throws {
    guard methods.contains(.probe), model.probe == nil else { return }
    printError("--methods probe: \(model.path) has no feature probe (a model trained with --probe-share has one)")
    throw ExitCode(2)
}

/// How the maps are made and drawn, declared once for `process`, `listen` and `explain`.
struct ExplanationOptions: ParsableArguments {
    @Option(help: "LIME: perturbed samples.") var samples = 1000
    @Option(help: "LIME: superpixels (SLIC).") var segments = 50
    @Option(help: "LIME: SLIC compactness.") var compactness: Float = 0.1
    @Option(help: "LIME: random seed (the same seed gives the same map bit for bit).") var seed: UInt64 = 0
    @Option(help: "Grad-CAM family layer: fire9 (512 channels) or relu_conv10 (as MATLAB's example).") var layer: CAMLayer = .fire9
    @Option(help: "Colormap: jet or viridis.") var colormap: Colormap = .jet

    func validate() throws {
        guard samples >= 2, segments >= 2 else { throw ValidationError("--samples and --segments must be at least 2") }
        guard compactness > 0 else { throw ValidationError("--compactness must be positive") }
    }

    var lime: LIMEExplainer { LIMEExplainer(samples: samples, seed: seed, slic: SLIC(segments: segments, compactness: compactness)) }
}

/// Where results are sent by C-STORE, for `process` and `listen`.
struct SendOptions: ParsableArguments {
    @Option(help: ArgumentHelp("C-STORE the new objects (Secondary Captures, SR, Parametric Maps, presentation states, converted images) to this PACS.", valueName: "AET@host:port"))
    var send: String?

    @Option(help: "Our AE title when sending.") var callingAET = "CXREXPLAIN"
    @Option(help: "Seconds to wait for the PACS (or the DICOMweb service) to connect and to answer each request.") var sendTimeout = 30

    @Option(help: ArgumentHelp("Also store the new objects by DICOMweb STOW-RS at this base URL (Orthanc: http://host:8042/dicom-web).", valueName: "URL"))
    var stow: String?

    @Option(help: ArgumentHelp("A file holding the STOW-RS credentials: one line, user:password (HTTP Basic) or 'Bearer TOKEN'. Default: $\(Self.credentialsVariable) if set. Never on the command line.", valueName: "FILE"))
    var stowCredentials: String?

    static let credentialsVariable = "CXR_EXPLAIN_STOW_CREDENTIALS"

    func validate() throws {
        guard sendTimeout >= 1 else { throw ValidationError("--send-timeout must be at least 1 second") }
        if let stow { _ = try stowDestination(stow) }
        guard let send else { return }
        do { _ = try StoragePeer(parsing: send) } catch { throw ValidationError("--send: \(error)") }
        do { try StoragePeer.check(aet: callingAET) } catch { throw ValidationError("--calling-aet: \(error)") }
    }

    /// The STOW-RS service with its credentials from --stow-credentials or the environment.
    func stowDestination(_ url: String) throws -> STOWDestination {
        var credentials: String?
        if let stowCredentials {
            guard let text = try? String(contentsOfFile: stowCredentials, encoding: .utf8) else {
                throw ValidationError("--stow-credentials: cannot read \(stowCredentials)")
            }
            credentials = text
        } else if let text = ProcessInfo.processInfo.environment[Self.credentialsVariable], !text.isEmpty {
            credentials = text
        }
        do { return try STOWDestination(base: url, credentials: credentials, timeoutSeconds: sendTimeout) } catch {
            throw ValidationError("--stow: \(error)")
        }
    }

    var stowDestination: STOWDestination? { stow.flatMap { try? stowDestination($0) } }

    var destination: Batch.Destination? {
        guard let send, let peer = try? StoragePeer(parsing: send) else { return nil }
        return Batch.Destination(peer: peer, callingAET: callingAET, timeoutSeconds: sendTimeout)
    }
}
