import Preprocess

/// UIDs for what we write: `2.25.` + the decimal value of a name-based UUID (version 5, SHA-1). The name
/// holds everything that determines an object's content, so a rerun on the same input with the same settings
/// and model reproduces the same UIDs, and any change gives new ones: never two different objects under one UID.
public enum DICOMUID {
    /// RFC 4122 namespace for ISO OIDs (6ba7b812-9dad-11d1-80b4-00c04fd430c8): our names start with a UID.
    static let oidNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    /// The version-5 UUID of `name` in the OID namespace, as 16 bytes.
    public static func uuid5(_ name: String) -> [UInt8] {
        var hash = Array(Digest.sha1(oidNamespace + Array(name.utf8)).prefix(16))
        hash[6] = (hash[6] & 0x0F) | 0x50  // version 5
        hash[8] = (hash[8] & 0x3F) | 0x80  // RFC 4122 variant
        return hash
    }

    /// The UID of one object derived from an input: its kind (with the parameters that shape it), the input
    /// file's SHA-256 (pixels and every header value copied from it) and the run's settings digest (which
    /// names the model).
    public static func derived(kind: String, inputSHA256: String, settingsDigest: String) -> String {
        uid(forName: "cxr-explain object|\(kind)|input=\(inputSHA256)|settings=\(settingsDigest)")
    }

    /// A series UID shared by the objects of one kind in one study (a series groups objects; it is not one).
    public static func series(kind: String, studyInstanceUID: String, settingsDigest: String) -> String {
        uid(forName: "cxr-explain series|\(kind)|study=\(studyInstanceUID)|settings=\(settingsDigest)")
    }

    public static func uid(forName name: String) -> String {
        "2.25." + decimal(uuid5(name))
    }

    /// Unsigned decimal of a 128-bit big-endian number (repeated division of 32-bit limbs by 10).
    static func decimal(_ bytes: [UInt8]) -> String {
        var limbs: [UInt32] = stride(from: 0, to: 16, by: 4).map { i in
            bytes[i..<i + 4].reduce(0) { ($0 << 8) | UInt32($1) }
        }
        var digits: [UInt8] = []
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in limbs.indices {
                let value = (remainder << 32) | UInt64(limbs[i])
                limbs[i] = UInt32(value / 10)
                remainder = value % 10
            }
            digits.append(UInt8(remainder) + 48)
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }
}
