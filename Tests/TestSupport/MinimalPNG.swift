/// Writes PNG files byte by byte (stored deflate blocks), independent of libpng, so that reader
/// tests check the real file format (big-endian 16-bit samples) rather than a round trip.
public enum MinimalPNG {
    /// A 64×64 8-bit RGB picture no radiograph could be: a red left half and a green right half over the
    /// same brightness range, so its colour is independent of brightness (what the colour check refuses).
    public static func colourPicture() -> [UInt8] {
        var samples: [UInt16] = []
        for y in 0..<64 {
            for x in 0..<64 {
                let v = UInt16(40 + (y * 2) % 100)
                samples += x < 32 ? [v + 80, v / 2, v / 3] : [v / 2, v + 40, v / 3]
            }
        }
        return encode(width: 64, height: 64, bitDepth: 8, colorType: 2, samples: samples)
    }

    /// - Parameters: colorType 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA; samples interleaved, row-major.
    public static func encode(width: Int, height: Int, bitDepth: Int, colorType: UInt8, samples: [UInt16]) -> [UInt8] {
        let channels = [0: 1, 2: 3, 4: 2, 6: 4][Int(colorType)]!
        precondition(samples.count == width * height * channels)
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)  // filter type None
            for x in 0..<(width * channels) {
                let v = samples[y * width * channels + x]
                if bitDepth == 16 { raw.append(UInt8(v >> 8)); raw.append(UInt8(v & 0xFF)) } else { raw.append(UInt8(v)) }
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = bigEndian32(UInt32(width)) + bigEndian32(UInt32(height))
        ihdr += [UInt8(bitDepth), colorType, 0, 0, 0]
        png += chunk("IHDR", ihdr)
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    public static func bigEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian32(UInt32(data.count)) + typeBytes + data + bigEndian32(crc32(typeBytes + data))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let final: UInt8 = offset + n >= data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<offset + n]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + bigEndian32((b << 16) | a)
    }

    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
