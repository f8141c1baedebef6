import Foundation
import Preprocess

/// Lossy Image Compression (0028,2110), its ratio and method (PS3.3 C.7.6.1.1.5): once an image has been
/// lossy compressed, every image derived from it says so. Carried from a source's attributes, or inferred
/// from a lossy transfer syntax when the source does not say.
public struct LossyHistory: Sendable, Equatable {
    public var ratios: [String]
    public var methods: [String]

    public init(ratios: [String], methods: [String]) {
        self.ratios = ratios
        self.methods = methods
    }

    /// Lossy transfer syntaxes and the method term PS3.3 gives for each.
    static let lossyTransferSyntaxes: [String: String] = [
        "1.2.840.10008.1.2.4.50": "ISO_10918_1", "1.2.840.10008.1.2.4.51": "ISO_10918_1",
        "1.2.840.10008.1.2.4.81": "ISO_14495_1", "1.2.840.10008.1.2.4.91": "ISO_15444_1",
        "1.2.840.10008.1.2.4.93": "ISO_15444_1", "1.2.840.10008.1.2.4.203": "ISO_15444_15",
    ]

    /// The source's history: its own attributes when Lossy Image Compression is 01, else its transfer
    /// syntax when that is lossy; nil for an image never lossy compressed.
    public init?(source: DICOMFile) {
        if source.text("LossyImageCompression") == "01" {
            ratios = source.string("LossyImageCompressionRatio")?.split(separator: "\\").map(String.init) ?? []
            methods = source.string("LossyImageCompressionMethod")?.split(separator: "\\").map(String.init) ?? []
        } else if let method = Self.lossyTransferSyntaxes[source.transferSyntaxUID] {
            ratios = []
            methods = [method]
        } else {
            return nil
        }
    }

    /// A baseline JPEG file of `bytes` bytes holding `uncompressedBytes` of samples.
    public static func jpegFile(bytes: Int, uncompressedBytes: Int) -> LossyHistory {
        LossyHistory(ratios: [String(format: "%.2f", Double(uncompressedBytes) / Double(max(1, bytes)))], methods: ["ISO_10918_1"])
    }

    func write(to ds: DICOMFile) throws(DICOMWriteError) {
        try ds.put("LossyImageCompression", "01")
        if !ratios.isEmpty { try ds.put("LossyImageCompressionRatio", ratios.joined(separator: "\\")) }
        if !methods.isEmpty { try ds.put("LossyImageCompressionMethod", methods.joined(separator: "\\")) }
    }
}
