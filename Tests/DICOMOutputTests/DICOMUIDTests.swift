import DICOMOutput
import Testing

struct DICOMUIDTests {
    @Test("2.25 UIDs are Python's uuid.uuid5(NAMESPACE_OID, name).int")
    func matchesPython() {
        // Reference values printed by /usr/bin/python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_OID, NAME).int)".
        #expect(DICOMUID.derived(kind: "gray|gradcam", inputSHA256: "ab12", settingsDigest: "cd34")
                == "2.25.284808256988561388033469570332615749999")
        #expect(DICOMUID.series(kind: "gradcam", studyInstanceUID: "1.2.3", settingsDigest: "cd34")
                == "2.25.115671523246034219316591179713320046006")
        #expect(DICOMUID.uid(forName: "cxr-explain convert|00") == "2.25.172834396903836223882083332571461538503")
    }

    @Test("derived UIDs are valid, at most 64 characters, and differ by kind, input content and settings")
    func valid() {
        let sha = String(repeating: "f", count: 64), settings = String(repeating: "e", count: 64)
        let a = DICOMUID.derived(kind: "gray|gradcam", inputSHA256: sha, settingsDigest: settings)
        let b = DICOMUID.derived(kind: "rgb|gradcam", inputSHA256: sha, settingsDigest: settings)
        let c = DICOMUID.derived(kind: "gray|gradcam", inputSHA256: String(repeating: "0", count: 64), settingsDigest: settings)
        let d = DICOMUID.derived(kind: "gray|gradcam", inputSHA256: sha, settingsDigest: String(repeating: "0", count: 64))
        #expect([a, b, c, d].allSatisfy { DICOMUIDSyntax.isValid($0) && $0.count <= 64 })
        #expect(Set([a, b, c, d]).count == 4)
        #expect(a == DICOMUID.derived(kind: "gray|gradcam", inputSHA256: sha, settingsDigest: settings))
    }

    @Test func uidSyntax() {
        #expect(DICOMUIDSyntax.isValid("1.2.840.10008.1.2"))
        #expect(!DICOMUIDSyntax.isValid("1.02.3"))
        #expect(!DICOMUIDSyntax.isValid("1..2"))
        #expect(!DICOMUIDSyntax.isValid("1.2.a"))
        #expect(!DICOMUIDSyntax.isValid(String(repeating: "1.", count: 40) + "1"))
    }

    @Test("overlay bits: least significant bit first in 16-bit words")
    func overlayPacking() {
        var mask = [Bool](repeating: false, count: 20)
        mask[0] = true; mask[3] = true; mask[16] = true; mask[19] = true
        let words = OverlayBits.pack(mask)
        #expect(words == [0b1001, 0b1001])
        #expect(OverlayBits.unpack(words, count: 20) == mask)
    }
}
