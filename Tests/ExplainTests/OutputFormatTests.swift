import Explain
import Foundation
import TestSupport
import Testing

struct OutputFormatTests {
    @Test("jet runs dark blue → cyan → yellow → dark red; viridis from purple to yellow")
    func colormaps() {
        let j0 = Colormap.jet.color(0), j1 = Colormap.jet.color(1), jm = Colormap.jet.color(0.5)
        #expect(j0 == (0, 0, 0.5) && j1 == (0.5, 0, 0))
        #expect(jm.1 == 1 && abs(jm.0 - 0.5) < 1e-6 && abs(jm.2 - 0.5) < 1e-6)
        let v0 = Colormap.viridis.color(0), v1 = Colormap.viridis.color(1)
        // Matplotlib's table: viridis(0) = (0.267, 0.005, 0.329), viridis(1) = (0.993, 0.906, 0.144).
        #expect(abs(v0.0 - 0.267) < 0.015 && abs(v0.2 - 0.329) < 0.015)
        #expect(abs(v1.0 - 0.993) < 0.015 && abs(v1.1 - 0.906) < 0.015 && abs(v1.2 - 0.144) < 0.015)
    }

    @Test("overlay: alpha 0.5 of gray and colour")
    func overlay() {
        let rgb = Overlay.blend(gray: [1, 0], map: [0, 1], colormap: .jet, alpha: 0.5)
        #expect(rgb == [128, 128, 191, 64, 0, 0])
    }

    @Test("NumPy reads our .npy with shape and values")
    func npy() throws {
        let dir = TestPaths.temporaryDirectory("npy")
        let path = dir.appendingPathComponent("m.npy").path
        let values: [Float] = [0, 0.5, -1.25, 0x1p-20, 1, 2]
        try NPY.write(values, shape: [2, 3], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect((bytes.count - values.count * 4) % 64 == 0)
        guard let python = Tool.python, (try? Tool.run(python, ["-c", "import numpy"]).status) == 0 else {
            if Tool.required { Issue.record("numpy missing") }
            return
        }
        let r = try Tool.run(python, ["-c", "import numpy as n, sys; a = n.load(sys.argv[1]); print(a.dtype, a.shape, repr(a.ravel().tolist()))", path])
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == "float32 (2, 3) [0.0, 0.5, -1.25, 9.5367431640625e-07, 1.0, 2.0]", "\(r.stdout) \(r.stderr)")
    }
}
