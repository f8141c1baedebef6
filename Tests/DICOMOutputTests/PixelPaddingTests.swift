import DICOMOutput
import Foundation
import Preprocess
import TestSupport
import Testing

/// Pixel Padding Value (PS3.3 C.7.5.1.1.2): padding pixels are shown black and take no part in the percentile
/// window. Checked on real films given a padding value by our writer (the shared set has none).
@Suite(.enabled(if: TestPaths.sharedDataAvailable, "needs ../shared/data/dicom"))
struct PixelPaddingTests {
    let dir = TestPaths.temporaryDirectory("padding")

    func padded(_ name: String, value: String, limit: String? = nil) throws -> String {
        let file = try DICOMFile(path: TestPaths.dicom(name))
        try file.put("PixelPaddingValue", value)
        if let limit { try file.put("PixelPaddingRangeLimit", limit) }
        let path = dir.appendingPathComponent("padded-" + name).path
        try file.save(to: path, keepTransferSyntax: true)
        return path
    }

    @Test("MONOCHROME1 with a window: the padding value shows black, not inverted to white; the rest is unchanged")
    func paddingBlack() throws {
        let name = "chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"
        let plain = try RadiographLoader.load(path: TestPaths.dicom(name))
        let padded = try RadiographLoader.load(path: try padded(name, value: "0"))
        let stored = try DICOMFile(path: TestPaths.dicom(name)).decodeStoredValues()
        let zeros = stored.indices.filter { stored[$0] == 0 }
        #expect(!zeros.isEmpty)
        for i in zeros { #expect(plain.pixels[i] == 1 && padded.pixels[i] == 0) }
        for i in stored.indices where stored[i] != 0 { #expect(plain.pixels[i] == padded.pixels[i]) }
        #expect(padded.source.voi.hasSuffix("; \(zeros.count) padding pixels (stored 0) shown black"), "\(padded.source.voi)")
    }

    @Test("a padding range is left out of the percentile window")
    func paddingRangeOutOfPercentiles() throws {
        let name = "chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
        let stored = try DICOMFile(path: TestPaths.dicom(name)).decodeStoredValues()
        let image = try RadiographLoader.load(path: try padded(name, value: "0", limit: "20"))
        let range = try #require(image.source.percentileWindow)
        let rest = stored.filter { $0 > 20 }.map(Float.init)
        guard case .percentile(let low, let high, _, _) = VOITransform.percentileWindow(rest) else { Issue.record("no window"); return }
        #expect(range == low...high)
        #expect(range != (try RadiographLoader.load(path: TestPaths.dicom(name))).source.percentileWindow)
        for i in stored.indices where stored[i] <= 20 { #expect(image.pixels[i] == 0) }
    }
}
