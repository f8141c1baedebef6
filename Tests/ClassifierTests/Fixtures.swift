import Classifier
import TensorEngine
import Foundation
import Testing

/// The PyTorch fixtures written by scripts/make-reference.py.
enum Fixtures {
    static func load(_ name: String) throws -> [String: SafeTensors.Tensor] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try SafeTensors.read(path: url.path).tensors
    }
}

/// (N, C, H, W) ↔ (C, N, H, W) for arrays.
func toCNHW(_ x: [Float], n: Int, c: Int, hw: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { Layout.nchwToCnhw($0.baseAddress!, src.baseAddress!, n: n, c: c, hw: hw) } }
    return out
}

func toNCHW(_ x: [Float], n: Int, c: Int, hw: Int) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { Layout.cnhwToNchw($0.baseAddress!, src.baseAddress!, n: n, c: c, hw: hw) } }
    return out
}
