/// The header gate: only projection radiographs of the chest are classified. It decides from attributes
/// alone, before any pixel is decoded, so a CT series or a multi-frame object costs nothing.
public struct ChestGate: Sendable {
    public enum Verdict: Sendable, Equatable {
        /// CR or DX with Body Part Examined CHEST: the header says it is a chest radiograph.
        case chest
        /// SC, OT, no Modality, or CR/DX without a body part (and PNG/JPEG): the content check decides.
        case headerCannotTell
        /// Not a chest projection radiograph; the reason names the attribute.
        case skip(String)
    }

    /// Body Part Examined values taken as the chest (upper case), besides an absent or empty one.
    public var chestBodyParts: Set<String> = ["CHEST"]

    public init(extraChestBodyParts: [String] = []) {
        chestBodyParts.formUnion(extraChestBodyParts.map { $0.uppercased() })
    }

    static let projectionModalities: Set<String> = ["CR", "DX"]
    static let undecidedModalities: Set<String> = ["SC", "OT", ""]
    /// SOP Classes of captures (SC and its multi-frame kinds), whose content decides.
    static let captureSOPClasses: Set<String> = [
        "1.2.840.10008.5.1.4.1.1.7",      // Secondary Capture
        "1.2.840.10008.5.1.4.1.1.7.1", "1.2.840.10008.5.1.4.1.1.7.2", "1.2.840.10008.5.1.4.1.1.7.3", "1.2.840.10008.5.1.4.1.1.7.4",
    ]
    /// SOP Classes of projection radiographs and of captures; any other class (CT, MR, mammography and
    /// intra-oral DX, …) is not a chest radiograph whatever Modality says.
    static let acceptedSOPClasses: Set<String> = captureSOPClasses.union([
        "1.2.840.10008.5.1.4.1.1.1",      // CR Image
        "1.2.840.10008.5.1.4.1.1.1.1",    // Digital X-Ray Image, for presentation
        Self.dxForProcessing,             // skipped below, with its own reason
    ])
    static let dxForProcessing = "1.2.840.10008.5.1.4.1.1.1.1.1"

    /// - Parameters: the object's Modality, Body Part Examined, SOP Class UID, Number of Frames, Image Type and
    ///   Photometric Interpretation values.
    ///   `derivedFromImage`: the object has a Source Image Sequence (it was made from another DICOM image).
    ///   `presentationIntent`: Presentation Intent Type (DX), FOR PRESENTATION or FOR PROCESSING.
    public func check(modality: String?, bodyPart: String?, sopClassUID: String?, frames: Int?, imageType: [String],
                      photometric: String? = nil, derivedFromImage: Bool = false, presentationIntent: String? = nil) -> Verdict {
        let mod = (modality ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if !Self.projectionModalities.contains(mod) && !Self.undecidedModalities.contains(mod) {
            return .skip("Modality \(mod) is not a projection radiograph")
        }
        let uid = (sopClassUID ?? "").trimmingCharacters(in: .whitespaces)
        if !uid.isEmpty && !Self.acceptedSOPClasses.contains(uid) {
            return .skip("SOP Class \(uid) is not a projection radiograph or a capture")
        }
        // Raw detector data, to be processed before anyone looks at it (PS3.3 C.8.11.1.1.1): the model learnt from
        // films as displayed, and the modality sends the For Presentation image made from it as well.
        let intent = (presentationIntent ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if uid == Self.dxForProcessing || intent == "FOR PROCESSING" {
            return .skip("a For Processing image (raw detector data, not for display): its For Presentation image is the one to classify")
        }
        let types = Set(imageType.map { $0.uppercased() })
        // A derived capture of another DICOM image (an explanation overlay, an annotated key image): its source
        // is the radiograph to classify; classifying the copy would explain an explanation.
        let capture = Self.undecidedModalities.contains(mod) || Self.captureSOPClasses.contains(uid)
        if capture && derivedFromImage && types.contains("DERIVED") {
            return .skip("a capture derived from another image (Source Image Sequence): its source is the radiograph")
        }
        if let frames, frames > 1 { return .skip("\(frames) frames: not a single radiograph") }
        if types.contains("LOCALIZER") { return .skip("Image Type LOCALIZER: a scout image") }
        // Radiographs are MONOCHROME1/2 (the CR and DX IODs allow nothing else); a colour capture is a picture.
        let colour = (photometric ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if !colour.isEmpty && !colour.hasPrefix("MONOCHROME") {
            return .skip("not a chest radiograph: a colour image (Photometric Interpretation \(colour))")
        }
        let part = (bodyPart ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if !part.isEmpty && !chestBodyParts.contains(part) { return .skip("Body Part Examined \(part) is not the chest") }
        return Self.projectionModalities.contains(mod) && !part.isEmpty ? .chest : .headerCannotTell
    }

    /// Media Storage Directory: a DICOMDIR, the index of a DICOM CD or folder.
    static let mediaStorageDirectory = "1.2.840.10008.1.3.10"

    /// The gate for a DICOM file, from its attributes.
    public func check(_ file: DICOMFile) -> Verdict {
        // A DICOMDIR names its class only in the meta header (the dataset holds directory records).
        if file.text("SOPClassUID") == nil, file.text("MediaStorageSOPClassUID") == Self.mediaStorageDirectory {
            return .skip("not an image: a DICOMDIR (the index of a DICOM folder)")
        }
        return check(modality: file.text("Modality"), bodyPart: file.text("BodyPartExamined"), sopClassUID: file.text("SOPClassUID"),
              frames: file.text("NumberOfFrames").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) },
              imageType: (file.text("ImageType") ?? "").split(separator: "\\").map(String.init),
              photometric: file.text("PhotometricInterpretation"),
              derivedFromImage: file.sequenceCount("SourceImageSequence") > 0,
              presentationIntent: file.text("PresentationIntentType"))
    }
}
