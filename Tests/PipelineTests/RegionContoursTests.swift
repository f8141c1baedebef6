import Pipeline
import Testing

/// Region outlines for the presentation state: squares, holes, diagonal touches, the image border.
struct RegionContoursTests {
    typealias P = RegionContours.Point

    /// Twice the signed area of a closed polyline (shoelace; screen coordinates, so the region's own loops are negative).
    static func area2(_ loop: [P]) -> Int {
        zip(loop, loop.dropFirst()).reduce(0) { $0 + $1.0.x * $1.1.y - $1.1.x * $1.0.y }
    }

    static func mask(_ rows: [String]) -> ([Bool], Int, Int) {
        (rows.flatMap { $0.map { $0 == "#" } }, rows[0].count, rows.count)
    }

    @Test("a filled rectangle is one closed loop of four corners at its pixel edges")
    func rectangle() {
        let (m, w, h) = Self.mask(["....", ".##.", ".##.", "...."])
        let loops = RegionContours.trace(m, width: w, height: h)
        #expect(loops.count == 1)
        #expect(Set(loops[0]) == [P(x: 1, y: 1), P(x: 3, y: 1), P(x: 3, y: 3), P(x: 1, y: 3)])
        #expect(loops[0].count == 5 && loops[0].first == loops[0].last)
        #expect(abs(Self.area2(loops[0])) == 2 * 4)
    }

    @Test("a ring gives its outer boundary and its hole; the enclosed areas differ by the region's area")
    func ring() {
        let (m, w, h) = Self.mask(["#####", "#...#", "#...#", "#####"])
        let loops = RegionContours.trace(m, width: w, height: h)
        #expect(loops.count == 2)
        let areas = loops.map { Self.area2($0) }
        #expect(areas.map(abs).sorted() == [2 * 6, 2 * 20])
        #expect(areas.reduce(0, +).magnitude == UInt(2 * 14), "outer minus hole = the ring's 14 pixels")
    }

    @Test("pixels touching only at a corner, and regions at the border, close every loop; the sum of areas is the pixel count")
    func diagonalAndBorder() {
        let (m, w, h) = Self.mask(["#..#", ".#..", "#..#"])
        let loops = RegionContours.trace(m, width: w, height: h)
        #expect(loops.allSatisfy { $0.first == $0.last && $0.count >= 5 })
        #expect(loops.map { Self.area2($0) }.reduce(0, +).magnitude == UInt(2 * m.filter { $0 }.count))
        #expect(RegionContours.trace([Bool](repeating: false, count: 12), width: 4, height: 3).isEmpty)
        let full = RegionContours.trace([Bool](repeating: true, count: 12), width: 4, height: 3)
        #expect(full.count == 1 && Set(full[0]) == [P(x: 0, y: 0), P(x: 4, y: 0), P(x: 4, y: 3), P(x: 0, y: 3)])
    }
}
