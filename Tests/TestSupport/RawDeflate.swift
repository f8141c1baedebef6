/// Raw deflate streams (RFC 1951) written bit by bit, independent of zlib, for tests of the deflated
/// transfer syntax: stored blocks for arbitrary bytes, and fixed-Huffman blocks that repeat a zero byte
/// with length-258 copies (13 bits per 258 bytes), which make a small file inflate to hundreds of megabytes.
public struct RawDeflate {
    public private(set) var bytes: [UInt8] = []
    private var bitCount = 0

    public init() {}

    /// `n` bits of `value`, least significant first (block headers, extra bits).
    mutating func bits(_ value: Int, _ n: Int) {
        for i in 0..<n {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> i) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }

    /// A Huffman code, most significant bit first.
    mutating func code(_ value: Int, _ n: Int) {
        for i in (0..<n).reversed() { bits((value >> i) & 1, 1) }
    }

    /// Stored blocks holding `data`.
    public mutating func stored(_ data: [UInt8], final: Bool) {
        var start = 0
        repeat {
            let n = min(65535, data.count - start)
            let last = final && start + n == data.count
            bits(last ? 1 : 0, 1)
            bits(0, 2)
            bitCount = bytes.count * 8  // to the byte boundary
            bytes += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            bytes += data[start..<(start + n)]
            bitCount = bytes.count * 8
            start += n
        } while start < data.count
    }

    /// One fixed-Huffman block of `2 + 258 * copies` zero bytes.
    public mutating func zeros(copies: Int) {
        bits(0, 1)
        bits(1, 2)                                 // BTYPE 01: fixed Huffman
        code(0x30, 8); code(0x30, 8)               // two literal zeros
        for _ in 0..<copies { code(0xC5, 8); code(0, 5) }  // length 258 (code 285), distance 1 (code 0)
        code(0, 7)                                 // end of block (256)
    }

    public static func zeroCount(copies: Int) -> Int { 2 + 258 * copies }
}
