import Foundation

/// safetensors files: 8-byte little-endian header length, a JSON header
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), raw little-endian data.
/// Reads F32, F16 and BF16 (and F64); writes F32 or F16.
public enum SafeTensors {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
            self.shape = shape
            self.values = values
        }
    }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case unreadable(file: String, reason: String)
        case malformed(file: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let f, let r), .malformed(let f, let r): return "\(f): \(r)"
            }
        }
    }

    public enum StorageType: String, Sendable { case f32 = "F32", f16 = "F16" }

    public static func read(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        // Said plainly: Foundation on Linux words these "The operation could not be completed".
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Failure.unreadable(file: path, reason: "no such file") }
        if isDirectory.boolValue { throw Failure.unreadable(file: path, reason: "is a directory") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw Failure.unreadable(file: path, reason: error.localizedDescription)
        }
        return try parse([UInt8](data), name: path)
    }

    public static func parse(_ bytes: [UInt8], name: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw Failure.malformed(file: name, reason: "shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8), headerLength < 100_000_000 else {
            throw Failure.malformed(file: name, reason: "header length \(headerLength) exceeds the file")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw Failure.malformed(file: name, reason: "header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in json {
            if key == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2 else {
                throw Failure.malformed(file: name, reason: "tensor '\(key)' has no dtype, shape or data_offsets")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64": width = 8
            default: throw Failure.malformed(file: name, reason: "tensor '\(key)' has unsupported dtype \(dtype)")
            }
            let begin = headerEnd + offsets[0], end = headerEnd + offsets[1]
            guard offsets[0] >= 0, begin <= end, end <= bytes.count, end - begin == count * width else {
                throw Failure.malformed(file: name, reason: "tensor '\(key)' data_offsets do not match its shape and dtype")
            }
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + begin
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    case "F16": values[i] = halfToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                    case "BF16": values[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
                    default: values[i] = Float(Double(bitPattern: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian))
                    }
                }
            }
            tensors[key] = Tensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// Writes tensors (sorted by name) and metadata; to a temporary file, then renamed into place.
    public static func write(path: String, tensors: [String: Tensor], metadata: [String: String] = [:], as type: StorageType = .f32) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body: [UInt8] = []
        let width = type == .f32 ? 4 : 2
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            header[name] = ["dtype": type.rawValue, "shape": t.shape, "data_offsets": [body.count, body.count + t.values.count * width]]
            body.reserveCapacity(body.count + t.values.count * width)
            for v in t.values {
                if type == .f32 {
                    let bits = v.bitPattern
                    body += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
                } else {
                    let bits = floatToHalf(v)
                    body += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
                }
            }
        }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        var out: [UInt8] = (0..<8).map { UInt8((UInt64(json.count) >> (8 * UInt64($0))) & 0xFF) }
        out += json
        out += body
        let temporary = path + ".tmp-\(getpid())"
        do {
            try Data(out).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw Failure.unreadable(file: path, reason: "cannot rename into place") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// IEEE half → float (subnormals, infinities and NaN included).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F), mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Float → IEEE half, round to nearest even.
    public static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        var mantissa = bits & 0x7F_FFFF
        if f.isNaN { return sign | 0x7E00 }
        if exponent >= 31 { return sign | 0x7C00 }
        if exponent <= 0 {
            if exponent < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - exponent)
            var half = mantissa >> shift
            let rest = mantissa & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(exponent) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
}
