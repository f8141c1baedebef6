/// Writes small DICOM streams byte by byte, independent of DCMTK, so that parser tests feed the bridge the
/// exact encodings they are about (nesting, UN values, no meta header, deflate) rather than a round trip.
public struct TinyDICOM: Sendable {
    public enum Encoding: Sendable { case explicitLittle, implicitLittle, explicitBig }
    public let encoding: Encoding

    public init(_ encoding: Encoding) { self.encoding = encoding }

    var big: Bool { encoding == .explicitBig }

    public func u16(_ v: UInt16) -> [UInt8] { big ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
    public func u32(_ v: UInt32) -> [UInt8] { big ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }

    /// One element; `vr` is ignored in implicit VR. OB, OW, SQ and UN take the long header form.
    public func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
        let tag = u16(group) + u16(element)
        if encoding == .implicitLittle { return tag + u32(UInt32(value.count)) + value }
        let long = ["OB", "OW", "SQ", "UN"].contains(vr)
        return tag + Array(vr.utf8) + (long ? [0, 0] + u32(UInt32(value.count)) : u16(UInt16(value.count))) + value
    }

    /// The header of a value of undefined length (a sequence, or UN holding one), with no value after it.
    public func undefinedLength(_ group: UInt16, _ element: UInt16, _ vr: String) -> [UInt8] {
        u16(group) + u16(element) + (encoding == .implicitLittle ? [] : Array(vr.utf8) + [0, 0]) + u32(0xFFFF_FFFF)
    }

    public func itemStart() -> [UInt8] { u16(0xFFFE) + u16(0xE000) + u32(0xFFFF_FFFF) }
    public func itemEnd() -> [UInt8] { u16(0xFFFE) + u16(0xE00D) + u32(0) }
    public func sequenceEnd() -> [UInt8] { u16(0xFFFE) + u16(0xE0DD) + u32(0) }

    /// Preamble, "DICM" and a meta group (always explicit VR little endian) naming `transferSyntax`.
    public static func part10Header(transferSyntax: String) -> [UInt8] {
        let le = TinyDICOM(.explicitLittle)
        let uid = Array(transferSyntax.utf8) + (transferSyntax.utf8.count % 2 == 1 ? [0] : [])  // UIDs pad with NUL
        let meta = le.element(0x0002, 0x0001, "OB", [0, 1]) + le.element(0x0002, 0x0010, "UI", uid)
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + le.element(0x0002, 0x0000, "UL", le.u32(UInt32(meta.count))) + meta
    }

    /// The Image Pixel module and Pixel Data of a 2×2 8-bit MONOCHROME2 image (0, 64, 128, 255).
    public func pixels2x2() -> [UInt8] {
        element(0x0028, 0x0002, "US", u16(1)) + element(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
            + element(0x0028, 0x0010, "US", u16(2)) + element(0x0028, 0x0011, "US", u16(2))
            + element(0x0028, 0x0100, "US", u16(8)) + element(0x0028, 0x0101, "US", u16(8))
            + element(0x0028, 0x0102, "US", u16(7)) + element(0x0028, 0x0103, "US", u16(0))
            + element(0x7FE0, 0x0010, "OB", [0, 64, 128, 255])
    }
}
