import Testing
@testable import Preprocess

struct TurnedInputTests {
    @Test("a quarter turn clockwise moves the top-left corner to the top right; four turns are the identity")
    func quarterTurns() {
        let grid: [Float] = [1, 2, 3,
                             4, 5, 6,
                             7, 8, 9]
        #expect(NetworkInput.turned(gray: grid, quarterTurns: 1) == [7, 4, 1, 8, 5, 2, 9, 6, 3])
        #expect(NetworkInput.turned(gray: grid, quarterTurns: 2) == [9, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(NetworkInput.turned(gray: grid, quarterTurns: 3) == [3, 6, 9, 2, 5, 8, 1, 4, 7])
        #expect(NetworkInput.turned(gray: grid, quarterTurns: 4) == grid)
        #expect(NetworkInput.turned(gray: NetworkInput.turned(gray: grid, quarterTurns: 1), quarterTurns: 3) == grid)
    }

    @Test("turning the padded network input is turning the film before it is padded and resampled")
    func commutesWithPadding() {
        // A 6 × 2 film padded into a 6 × 6 square (2 rows above and below), then its 2 × 6 quarter turn (2 columns each side).
        let width = 6, height = 2
        // Values exact in binary, so the resampler's sums do not round whichever order they are added in.
        let film = (0..<(width * height)).map { Float($0 + 1) / 16 }
        var turnedFilm = [Float](repeating: 0, count: film.count)  // 2 wide, 6 high, turned clockwise
        for y in 0..<height { for x in 0..<width { turnedFilm[x * height + (height - 1 - y)] = film[y * width + x] } }
        for size in [6, 3] {
            let options = NetworkInputOptions(size: size)
            let upright = NetworkInput(gray: film, width: width, height: height, options: options).gray
            let turned = NetworkInput(gray: turnedFilm, width: height, height: width, options: options).gray
            #expect(NetworkInput.turned(gray: upright, quarterTurns: 1) == turned, "size \(size)")
        }
    }
}
