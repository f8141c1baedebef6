import DICOMOutput
import Testing

struct DICOMUIDTests {
    @Test("2.25 UIDs are Python's uuid.uuid5(NAMESPACE_OID, name).int")
    func matchesPython() {
        // Reference values printed by /usr/bin/python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_OID, NAME).int)".
        #expect(DICOMUID.derived(from: "1.2.3.4", kind: "sc-gray:gradcam", modelDigest: "abc123")
                == "2.25.205378239373792876432209496722562731089")
        #expect(DICOMUID.uid(forName: "cxr-explain convert|00") == "2.25.172834396903836223882083332571461538503")
    }

    @Test("derived UIDs are valid, at most 64 characters, and differ by kind")
    func valid() {
        let a = DICOMUID.derived(from: "1.2.840.113619.2.55.3.604688119.868.1234567890.123", kind: "sc-gray:gradcam", modelDigest: String(repeating: "f", count: 64))
        let b = DICOMUID.derived(from: "1.2.840.113619.2.55.3.604688119.868.1234567890.123", kind: "sc-rgb:gradcam", modelDigest: String(repeating: "f", count: 64))
        #expect(DICOMUIDSyntax.isValid(a) && DICOMUIDSyntax.isValid(b))
        #expect(a.count <= 64)
        #expect(a != b)
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
