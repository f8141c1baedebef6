import Preprocess
import Testing

/// Exact values of area and bilinear resampling, padding and normalisation on tiny images.
struct ResamplerTests {
    @Test("area averaging: 4x4 → 2x2 is the mean of each 2x2 block")
    func areaIntegerFactor() {
        let src: [Float] = [1, 2, 3, 4,
                            5, 6, 7, 8,
                            9, 10, 11, 12,
                            13, 14, 15, 16]
        let r = Resampler(sourceWidth: 4, sourceHeight: 4, paddedWidth: 4, paddedHeight: 4, offsetX: 0, offsetY: 0,
                          outputWidth: 2, outputHeight: 2)
        #expect(r.apply(src) == [3.5, 5.5, 11.5, 13.5])
    }

    @Test("area averaging with a fractional factor weights partial pixels: 3 → 2")
    func areaFractional() {
        // Output 0 covers [0, 1.5): (0·1 + 3·0.5) / 1.5 = 1; output 1 covers [1.5, 3): (3·0.5 + 6·1) / 1.5 = 5.
        let r = Resampler(sourceWidth: 3, sourceHeight: 1, paddedWidth: 3, paddedHeight: 1, offsetX: 0, offsetY: 0,
                          outputWidth: 2, outputHeight: 1)
        #expect(r.apply([0, 3, 6]) == [1, 5])
    }

    @Test("enlarging is bilinear with half-pixel centres (OpenCV INTER_LINEAR): 2 → 4")
    func bilinear() {
        let r = Resampler(sourceWidth: 2, sourceHeight: 1, paddedWidth: 2, paddedHeight: 1, offsetX: 0, offsetY: 0,
                          outputWidth: 4, outputHeight: 1)
        #expect(r.apply([0, 1]) == [0, 0.25, 0.75, 1])
    }

    @Test("coverage is what resampling an image of ones gives, and the negative's gray is coverage − gray",
          arguments: [(301, 197, 227), (197, 301, 227), (1000, 1000, 227), (150, 90, 227), (7, 5, 16)])
    func coverageAndNegative(width: Int, height: Int, size: Int) {
        let g = InputGeometry(sourceWidth: width, sourceHeight: height, fit: .pad, size: size)
        let r = Resampler(sourceWidth: width, sourceHeight: height, paddedWidth: g.paddedWidth, paddedHeight: g.paddedHeight,
                          offsetX: g.offsetX, offsetY: g.offsetY, outputWidth: size, outputHeight: size)
        let ones = r.apply([Float](repeating: 1, count: width * height))
        #expect(zip(r.coverage(), ones).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(ones.contains(0) == (width != height))  // the padding is there to be left out
        // A deterministic image with the full range: the shortcut against inverting every pixel first.
        var state: UInt32 = 12345
        let pixels = (0..<width * height).map { _ -> Float in state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / Float(1 << 24) }
        let inverted = NetworkInput(gray: pixels.map { 1 - $0 }, width: width, height: height, options: .init(size: size)).gray
        let shortcut = NetworkInput(gray: pixels, width: width, height: height, options: .init(size: size)).negativeGray
        #expect(zip(shortcut, inverted).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test("pad to square centres the image on black")
    func padding() {
        // 4 wide, 2 high → 4x4 canvas with the image in rows 1 and 2.
        let g = InputGeometry(sourceWidth: 4, sourceHeight: 2, fit: .pad, size: 4)
        #expect(g.paddedWidth == 4 && g.paddedHeight == 4 && g.offsetX == 0 && g.offsetY == 1)
        let r = Resampler(sourceWidth: 4, sourceHeight: 2, paddedWidth: 4, paddedHeight: 4, offsetX: 0, offsetY: 1,
                          outputWidth: 4, outputHeight: 4, padValue: 0)
        let out = r.apply([1, 1, 1, 1, 1, 1, 1, 1])
        #expect(out == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    }

    @Test("non-square pixels: the canvas is square in the patient's proportions; a film with pixels twice as tall as wide, stored with half the rows, gives the upright film's input")
    func pixelAspect() {
        // 440 × 220 pixels twice as tall as wide: 440 × 440 in the patient, no padding.
        let squashed = InputGeometry(sourceWidth: 440, sourceHeight: 220, fit: .pad, size: 227, pixelAspect: 2)
        #expect(squashed.paddedWidth == 440 && squashed.paddedHeight == 220 && squashed.offsetX == 0 && squashed.offsetY == 0)
        // 100 × 100 pixels half as tall as wide: 100 wide, 50 high in the patient; padded by 50 rows above and below.
        let wide = InputGeometry(sourceWidth: 100, sourceHeight: 100, fit: .pad, size: 227, pixelAspect: 0.5)
        #expect(wide.paddedWidth == 100 && wide.paddedHeight == 200 && wide.offsetX == 0 && wide.offsetY == 50)
        // Pixels twice as wide as tall, taller than wide in the patient: columns are padded.
        let tall = InputGeometry(sourceWidth: 100, sourceHeight: 300, fit: .pad, size: 227, pixelAspect: 0.5)
        #expect(tall.paddedWidth == 150 && tall.paddedHeight == 300 && tall.offsetX == 25 && tall.offsetY == 0)
        // Stretching ignores it (each axis to the input size anyway).
        let stretched = InputGeometry(sourceWidth: 440, sourceHeight: 220, fit: .stretch, size: 227, pixelAspect: 2)
        #expect(stretched.paddedWidth == 440 && stretched.paddedHeight == 220)
        // A 16 × 16 film, and the same with each pair of rows averaged (16 × 8, pixels twice as tall): at input
        // size 8 both shrink to the same 2 × 2 averages, exactly (values exact in binary).
        let film = (0..<256).map { Float(($0 * 37) % 64) / 64 }
        var halfRows = [Float](repeating: 0, count: 128)
        for y in 0..<8 {
            for x in 0..<16 {
                let top: Float = film[2 * y * 16 + x], bottom: Float = film[(2 * y + 1) * 16 + x]
                halfRows[y * 16 + x] = (top + bottom) / 2
            }
        }
        let upright = NetworkInput(gray: film, width: 16, height: 16, options: .init(size: 8)).gray
        let fromHalfRows = NetworkInput(gray: halfRows, width: 16, height: 8, options: .init(size: 8), pixelAspect: 2).gray
        #expect(fromHalfRows == upright)
        #expect(NetworkInput(gray: halfRows, width: 16, height: 8, options: .init(size: 8)).gray != upright, "read as square, it is squashed")
    }

    @Test("shrinking with padding: a 2x1 white image in a 2x2 canvas → 1x1 is half white")
    func paddedArea() {
        let r = Resampler(sourceWidth: 2, sourceHeight: 1, paddedWidth: 2, paddedHeight: 2, offsetX: 0, offsetY: 0,
                          outputWidth: 1, outputHeight: 1)
        #expect(r.apply([1, 1]) == [0.5])
    }

    @Test("network input: [3, size, size], gray repeated, ImageNet normalisation")
    func networkInput() {
        let input = NetworkInput(gray: [Float](repeating: 0.5, count: 6 * 6), width: 6, height: 6,
                                 options: .init(size: 3, fit: .stretch))
        #expect(input.values.count == 27)
        let expected: [Float] = [(0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.5 - 0.406) / 0.225]
        for c in 0..<3 {
            for i in 0..<9 { #expect(abs(input.values[c * 9 + i] - expected[c]) < 1e-6) }
        }
    }

    @Test("the default input is 227 x 227, padded")
    func defaults() {
        let input = NetworkInput(gray: [Float](repeating: 1, count: 300 * 200), width: 300, height: 200)
        #expect(input.values.count == 3 * 227 * 227)
        #expect(input.geometry.paddedWidth == 300 && input.geometry.offsetY == 50)
        // Top-left corner lies in the padding (black), centre in the image (white).
        #expect(input.gray[0] == 0)
        #expect(input.gray[113 * 227 + 113] == 1)
    }

    @Test("stretch fills the whole input (MATLAB's resize)")
    func stretch() {
        let input = NetworkInput(gray: [Float](repeating: 1, count: 300 * 200), width: 300, height: 200,
                                 options: .init(fit: .stretch))
        #expect(input.gray.allSatisfy { abs($0 - 1) < 1e-5 })
    }
}
