import Foundation
import Preprocess
import TestSupport
import Testing

/// The header gate as a table: modality × body part × frames × image type (and SOP Class).
struct ChestGateTests {
    let gate = ChestGate()

    static let cases: [(modality: String?, bodyPart: String?, frames: Int?, imageType: [String], expected: String)] = [
        ("CR", "CHEST", nil, ["ORIGINAL", "PRIMARY"], "chest"),
        ("DX", "CHEST", 1, ["ORIGINAL", "PRIMARY"], "chest"),
        ("DX", "chest", nil, [], "chest"),
        ("CR", nil, nil, [], "content"),
        ("CR", "", nil, [], "content"),
        ("DX", "  ", nil, [], "content"),
        ("SC", "CHEST", nil, [], "content"),
        ("OT", nil, nil, [], "content"),
        (nil, nil, nil, [], "content"),
        ("CR", "HIP", nil, [], "skip:Body Part Examined HIP is not the chest"),
        ("DX", "KNEE", nil, [], "skip:Body Part Examined KNEE is not the chest"),
        ("SC", "SKULL", nil, [], "skip:Body Part Examined SKULL is not the chest"),
        ("CT", "CHEST", nil, ["ORIGINAL", "PRIMARY", "AXIAL"], "skip:Modality CT is not a projection radiograph"),
        ("CT", "CHEST", nil, ["ORIGINAL", "PRIMARY", "LOCALIZER"], "skip:Modality CT is not a projection radiograph"),
        ("MR", nil, nil, [], "skip:Modality MR is not a projection radiograph"),
        ("MG", "BREAST", nil, [], "skip:Modality MG is not a projection radiograph"),
        ("US", nil, nil, [], "skip:Modality US is not a projection radiograph"),
        ("NM", nil, nil, [], "skip:Modality NM is not a projection radiograph"),
        ("PT", nil, nil, [], "skip:Modality PT is not a projection radiograph"),
        ("XA", "CHEST", nil, [], "skip:Modality XA is not a projection radiograph"),
        ("RF", "CHEST", nil, [], "skip:Modality RF is not a projection radiograph"),
        ("IO", nil, nil, [], "skip:Modality IO is not a projection radiograph"),
        ("PX", nil, nil, [], "skip:Modality PX is not a projection radiograph"),
        ("CR", "CHEST", 3, [], "skip:3 frames: not a single radiograph"),
        ("DX", "CHEST", nil, ["DERIVED", "SECONDARY", "LOCALIZER"], "skip:Image Type LOCALIZER: a scout image"),
    ]

    @Test("each row's verdict", arguments: cases.indices)
    func table(index: Int) {
        let c = Self.cases[index]
        let verdict = gate.check(modality: c.modality, bodyPart: c.bodyPart, sopClassUID: nil, frames: c.frames, imageType: c.imageType)
        let text: String
        switch verdict {
        case .chest: text = "chest"
        case .headerCannotTell: text = "content"
        case .skip(let reason): text = "skip:" + reason
        }
        #expect(text == c.expected, "\(c)")
    }

    @Test("a colour image is a picture, not a radiograph: RGB, YBR and palette colour are skipped, MONOCHROME1/2 pass")
    func colourPhotometric() {
        for photometric in ["RGB", "YBR_FULL", "YBR_FULL_422", "PALETTE COLOR"] {
            #expect(gate.check(modality: "OT", bodyPart: nil, sopClassUID: nil, frames: nil, imageType: [], photometric: photometric)
                    == .skip("not a chest radiograph: a colour image (Photometric Interpretation \(photometric))"))
        }
        #expect(gate.check(modality: "CR", bodyPart: "CHEST", sopClassUID: nil, frames: nil, imageType: [], photometric: "RGB")
                == .skip("not a chest radiograph: a colour image (Photometric Interpretation RGB)"))
        #expect(gate.check(modality: "CR", bodyPart: "CHEST", sopClassUID: nil, frames: nil, imageType: [], photometric: "MONOCHROME1") == .chest)
        #expect(gate.check(modality: "SC", bodyPart: nil, sopClassUID: nil, frames: nil, imageType: [], photometric: "MONOCHROME2") == .headerCannotTell)
        // The modality's reason comes first: a colour ultrasound is skipped for being ultrasound.
        #expect(gate.check(modality: "US", bodyPart: nil, sopClassUID: nil, frames: nil, imageType: [], photometric: "RGB")
                == .skip("Modality US is not a projection radiograph"))
    }

    @Test("a For Processing DX (by SOP Class or Presentation Intent Type) is skipped; For Presentation is a radiograph")
    func forProcessing() {
        let reason = ChestGate.Verdict.skip("a For Processing image (raw detector data, not for display): its For Presentation image is the one to classify")
        #expect(gate.check(modality: "DX", bodyPart: "CHEST", sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1.1", frames: nil,
                           imageType: ["ORIGINAL", "PRIMARY"], presentationIntent: "FOR PROCESSING") == reason)
        #expect(gate.check(modality: "DX", bodyPart: "CHEST", sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1.1", frames: nil,
                           imageType: ["ORIGINAL", "PRIMARY"]) == reason)
        #expect(gate.check(modality: "DX", bodyPart: "CHEST", sopClassUID: nil, frames: nil, imageType: [], presentationIntent: "for processing ") == reason)
        #expect(gate.check(modality: "DX", bodyPart: "CHEST", sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", frames: nil,
                           imageType: ["ORIGINAL", "PRIMARY"], presentationIntent: "FOR PRESENTATION") == .chest)
        // The same through a file: a CR film relabelled as a For Processing DX is read but skipped.
        if TestPaths.sharedDataAvailable, let dcmodify = Tool.find("dcmodify") {
            let path = TestPaths.temporaryDirectory("for-processing").appendingPathComponent("dx.dcm").path
            try? FileManager.default.copyItem(atPath: TestPaths.dicom("chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"), toPath: path)
            #expect((try? Tool.run(dcmodify, ["-nb", "-m", "(0008,0060)=DX", "-i", "(0008,0068)=FOR PROCESSING", path]))?.status == 0)
            if case .skipped(let why, _) = try? GatedInput.read(path: path, gate: gate) {
                #expect(why == "a For Processing image (raw detector data, not for display): its For Presentation image is the one to classify")
            } else { Issue.record("a For Processing DX was not skipped") }
        }
        // The modality's reason still comes first.
        #expect(gate.check(modality: "MG", bodyPart: nil, sopClassUID: nil, frames: nil, imageType: [], presentationIntent: "FOR PROCESSING")
                == .skip("Modality MG is not a projection radiograph"))
    }

    @Test("a capture derived from another DICOM image is skipped (its source is classified); a film digitised to SC, or a derived CR, is not")
    func derivedCapture() {
        let reason = ChestGate.Verdict.skip("a capture derived from another image (Source Image Sequence): its source is the radiograph")
        #expect(gate.check(modality: "OT", bodyPart: nil, sopClassUID: "1.2.840.10008.5.1.4.1.1.7", frames: nil,
                           imageType: ["DERIVED", "SECONDARY"], photometric: "MONOCHROME2", derivedFromImage: true) == reason)
        #expect(gate.check(modality: "CR", bodyPart: "CHEST", sopClassUID: "1.2.840.10008.5.1.4.1.1.7", frames: nil,
                           imageType: ["DERIVED", "SECONDARY"], derivedFromImage: true) == reason)
        // No Source Image Sequence (a film or a PNG converted to SC), or not derived: the content check decides.
        #expect(gate.check(modality: "OT", bodyPart: nil, sopClassUID: "1.2.840.10008.5.1.4.1.1.7", frames: nil,
                           imageType: ["DERIVED", "PRIMARY"], derivedFromImage: false) == .headerCannotTell)
        #expect(gate.check(modality: "SC", bodyPart: nil, sopClassUID: nil, frames: nil,
                           imageType: ["ORIGINAL", "PRIMARY"], derivedFromImage: true) == .headerCannotTell)
        // A CR the modality derived (processed) from another acquisition is still a radiograph.
        #expect(gate.check(modality: "CR", bodyPart: "CHEST", sopClassUID: "1.2.840.10008.5.1.4.1.1.1", frames: nil,
                           imageType: ["DERIVED", "PRIMARY"], derivedFromImage: true) == .chest)
    }

    @Test("SOP Classes: CR, DX and SC pass; CT, MR, mammography and intra-oral DX do not")
    func sopClasses() {
        for uid in ["1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.7"] {
            #expect(gate.check(modality: "CR", bodyPart: "CHEST", sopClassUID: uid, frames: nil, imageType: []) == .chest)
        }
        for uid in ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.1.2", "1.2.840.10008.5.1.4.1.1.1.3"] {
            #expect(gate.check(modality: "DX", bodyPart: "CHEST", sopClassUID: uid, frames: nil, imageType: [])
                    == .skip("SOP Class \(uid) is not a projection radiograph or a capture"))
        }
    }

    @Test("local body part spellings are an option")
    func localSpellings() {
        #expect(gate.check(modality: "CR", bodyPart: "THORAX", sopClassUID: nil, frames: nil, imageType: []) == .skip("Body Part Examined THORAX is not the chest"))
        let local = ChestGate(extraChestBodyParts: ["thorax", "TORAX"])
        #expect(local.check(modality: "CR", bodyPart: "THORAX", sopClassUID: nil, frames: nil, imageType: []) == .chest)
        #expect(local.check(modality: "DX", bodyPart: "Torax", sopClassUID: nil, frames: nil, imageType: []) == .chest)
    }
}

/// Header views and dataset labels read into the one view type.
struct RadiographViewTests {
    @Test("spellings", arguments: [
        ("PA", "PA"), ("pa", "PA"), ("P-A", "PA"), ("POSTERO-ANTERIOR", "PA"), ("AP", "AP"), ("AP SUPINE", "AP"),
        ("AP_HORIZONTAL", "AP"), ("APS", "AP"), ("ANTEROPOSTERIOR", "AP"), ("LL", "LL"), ("RL", "RL"), ("LATERAL", "L"),
        ("LAT", "L"), ("L", "L"), ("LEFT LATERAL", "LL"), ("Right Lateral", "RL"),
    ])
    func spellings(text: String, name: String) {
        #expect(RadiographView(label: text)?.name == name)
    }

    @Test("decubitus, oblique and unknown values are none of our views", arguments: ["LLD", "RLD", "OBLIQUE", "LAO", "", "XYZ", "LEFT"])
    func unknown(text: String) {
        #expect(RadiographView(label: text) == nil)
    }

    @Test("agreement: AP with AP, any lateral with a lateral; AP never with PA")
    func sameView() {
        #expect(RadiographView.ap.sameView(as: .ap))
        #expect(!RadiographView.ap.sameView(as: .pa))
        #expect(!RadiographView.pa.sameView(as: .ap))
        #expect(RadiographView.leftLateral.sameView(as: .lateral))
        #expect(RadiographView.lateral.sameView(as: .rightLateral))
        #expect(!RadiographView.lateral.sameView(as: .pa))
    }

    @Test("the lateral class is written as the lateral term; other views as they are")
    func written() {
        #expect(RadiographView.lateral.written(lateralTerm: .rightLateral).viewPosition == "RL")
        #expect(RadiographView.lateral.written(lateralTerm: .rightLateral).codeValue == "399198007")
        #expect(RadiographView.lateral.written(lateralTerm: .rightLateral).name == "L")
        #expect(RadiographView.ap.written(lateralTerm: .rightLateral) == .ap)
        #expect(RadiographView.ap.codeValue == "399348003" && RadiographView.pa.codeValue == "272479007")
    }
}
