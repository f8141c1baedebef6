import Foundation

/// One input read through the header gate: a DICOM file is parsed, gated, and decoded only when it may be
/// a chest radiograph; PNG and JPEG carry no header, so their content decides.
public enum GatedInput {
    /// Decoded. `dicom` is the parsed dataset (nil for PNG/JPEG); `verdict` is `.chest` or `.headerCannotTell`.
    case radiograph(Radiograph, dicom: DICOMFile?, verdict: ChestGate.Verdict)
    /// Refused by the header gate; nothing was decoded.
    case skipped(reason: String, tags: RadiographTags)

    public static func read(path: String, gate: ChestGate) throws(ImageReadError) -> GatedInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .io(file: path, reason: "no such file") }
        if isDirectory.boolValue { throw .io(file: path, reason: "is a directory") }
        let kind = RadiographLoader.kind(ofFileAt: path)
        switch kind {
        case .png, .jpeg: return .radiograph(try RadiographLoader.load(path: path), dicom: nil, verdict: .headerCannotTell)
        case .dicom, .unknown:
            let file: DICOMFile
            do { file = try DICOMFile(path: path) } catch .notAnImage(let f, let reason) {
                throw .notAnImage(file: f, reason: kind == .unknown ? "not a DICOM, PNG or JPEG file" : reason)
            }
            let verdict = gate.check(file)
            if case .skip(let reason) = verdict { return .skipped(reason: reason, tags: .read(from: file)) }
            return .radiograph(try RadiographLoader.loadDICOM(file), dicom: file, verdict: verdict)
        }
    }
}
