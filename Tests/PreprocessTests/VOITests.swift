import Foundation
import Preprocess
import Testing

/// Exact values of the DICOM VOI functions (PS3.3 C.11.2.1.2) and LUTs.
struct VOITests {
    @Test("LINEAR window: the -0.5 / (w-1) form")
    func linear() {
        // c = 100, w = 11: 0 at or below 94.5, 1 above 104.5, ((x - 99.5) / 10 + 0.5) between.
        let out = VOITransform.window(center: 100, width: 11, function: .linear).apply([94, 94.5, 97, 99.5, 104.5, 105])
        #expect(out == [0, 0, 0.25, 0.5, 1, 1])
    }

    @Test func linearExact() {
        let out = VOITransform.window(center: 100, width: 10, function: .linearExact).apply([95, 97.5, 100, 105, 105.5])
        #expect(out == [0, 0.25, 0.5, 1, 1])
    }

    @Test func sigmoid() {
        let out = VOITransform.window(center: 100, width: 10, function: .sigmoid).apply([100, 105])
        #expect(out[0] == 0.5)
        #expect(abs(out[1] - Float(1 / (1 + exp(-2.0)))) < 1e-7)
    }

    @Test("a LUT maps inputs from its first mapped value and clamps outside it")
    func lut() {
        let table = LookupTable(firstMapped: 10, bitsPerEntry: 8, data: [0, 51, 102, 255])
        let out = VOITransform.lut(table).apply([5, 10, 11, 12, 13, 400])
        #expect(out == [0, 0, 0.2, 0.4, 1, 1])
    }

    @Test("Modality rescale keeps fractional slopes exact")
    func rescale() {
        let out = ModalityTransform.rescale(slope: 0.5, intercept: -1024).apply([0, 3, 4095])
        #expect(out == [-1024, -1022.5, 1023.5])
    }

    @Test("Modality LUT maps stored values")
    func modalityLUT() {
        let table = LookupTable(firstMapped: 0, bitsPerEntry: 16, data: [100, 200, 300])
        #expect(ModalityTransform.lut(table).apply([0, 1, 2, 7]) == [100, 200, 300, 300])
    }

    @Test("percentiles interpolate between ranks like numpy")
    func percentiles() {
        let values = (0...100).map(Float.init).shuffled()
        let (lo, hi) = Percentiles.of(values, 0.5, 99.5)
        #expect(lo == 0.5)
        #expect(hi == 99.5)
        let window = VOITransform.percentileWindow(values)
        #expect(window.apply([0.5, 50, 99.5, 200]) == [0, 0.5, 1, 1])
    }
}
