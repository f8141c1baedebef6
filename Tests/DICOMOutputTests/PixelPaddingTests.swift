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

    func padded(_ name: String, value: String, limit: String? = nil, dropWindow: Bool = false) throws -> String {
        let file = try DICOMFile(path: TestPaths.dicom(name))
        if dropWindow { file.delete("WindowCenter"); file.delete("WindowWidth") }
        try file.put("PixelPaddingValue", value)
        if let limit { try file.put("PixelPaddingRangeLimit", limit) }
        // One file per variant: the suite's tests run in parallel, and one must not rewrite a file another reads.
        let path = dir.appendingPathComponent("padded-\(value)-\(limit ?? "")-\(dropWindow)-" + name).path
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

    @Test("a padding range is left out of the percentile window (a 10-bit film without its window)")
    func paddingRangeOutOfPercentiles() throws {
        let name = "chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm"
        let stored = try DICOMFile(path: TestPaths.dicom(name)).decodeStoredValues()
        let image = try RadiographLoader.load(path: try padded(name, value: "0", limit: "200", dropWindow: true))
        let range = try #require(image.source.readerWindow?.range)
        let rest = stored.filter { $0 > 200 }.map(Float.init)
        guard case .percentile(let low, let high, _, _) = VOITransform.percentileWindow(rest) else { Issue.record("no window"); return }
        #expect(range == low...high)
        // Without the padding: the 0.5–99.5 percentiles of all its values (numpy: 146, 969).
        let unpadded = try RadiographLoader.load(path: try padded(name, value: "-1", dropWindow: true))
        #expect(unpadded.source.voi.hasPrefix("percentile window 0.5–99.5 % = [146.0, 969.0]"), "\(unpadded.source.voi)")
        #expect(range != unpadded.source.readerWindow?.range)
        #expect(stored.filter { $0 <= 200 }.count == 4847)
        for i in stored.indices where stored[i] <= 200 { #expect(image.pixels[i] == 0) }
    }
}
