/// The outlines of a binary region on a pixel grid, as closed polylines along pixel edges: what a
/// presentation state draws so viewers without overlay support show where the model looked.
/// Vertices are pixel corners (x, y) in grid units, (0, 0) the top-left corner of the top-left pixel.
/// Every boundary is traced (outer ones and holes), with the region on the left; collinear steps are merged.
public enum RegionContours {
    public struct Point: Hashable, Sendable {
        public var x: Int, y: Int
        public init(x: Int, y: Int) { self.x = x; self.y = y }
    }

    public static func trace(_ mask: [Bool], width: Int, height: Int) -> [[Point]] {
        precondition(mask.count == width * height, "mask of the wrong size")
        func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] }
        // Directed boundary edges, region on the left (y grows downwards): each from a corner to the next.
        var outgoing: [Point: [Point]] = [:]
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                if !inside(x, y - 1) { outgoing[Point(x: x + 1, y: y), default: []].append(Point(x: x, y: y))}          // top: right to left
                if !inside(x - 1, y) { outgoing[Point(x: x, y: y), default: []].append(Point(x: x, y: y + 1))}          // left: down
                if !inside(x, y + 1) { outgoing[Point(x: x, y: y + 1), default: []].append(Point(x: x + 1, y: y + 1))}  // bottom: left to right
                if !inside(x + 1, y) { outgoing[Point(x: x + 1, y: y + 1), default: []].append(Point(x: x + 1, y: y))}  // right: up
            }
        }
        var loops: [[Point]] = []
        // Start points in a fixed order, so the same mask always gives the same polylines.
        let starts = outgoing.keys.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
        for start in starts {
            while let first = outgoing[start]?.first {
                var loop = [start]
                var previous = start, current = first
                remove(previous, current, from: &outgoing)
                while current != start {
                    loop.append(current)
                    guard let choices = outgoing[current], !choices.isEmpty else { break }
                    // At a corner two diagonal pixels share, keep turning the same way (left): loops stay simple.
                    let next = choices.count == 1 ? choices[0] : leftmost(from: previous, at: current, among: choices)
                    remove(current, next, from: &outgoing)
                    previous = current
                    current = next
                }
                loops.append(simplified(loop))
            }
        }
        return loops
    }

    static func remove(_ from: Point, _ to: Point, from edges: inout [Point: [Point]]) {
        guard var list = edges[from], let i = list.firstIndex(of: to) else { return }
        list.remove(at: i)
        edges[from] = list.isEmpty ? nil : list
    }

    /// The turn to the left of the incoming direction (screen coordinates, y down).
    static func leftmost(from previous: Point, at current: Point, among choices: [Point]) -> Point {
        let (dx, dy) = (current.x - previous.x, current.y - previous.y)
        let left = Point(x: current.x + dy, y: current.y - dx)
        return choices.contains(left) ? left : choices.first { $0 != Point(x: current.x + dx, y: current.y + dy) } ?? choices[0]
    }

    /// Drops vertices in the middle of straight runs; the polyline stays closed (first point repeated last).
    static func simplified(_ loop: [Point]) -> [Point] {
        guard loop.count > 2 else { return loop + [loop[0]] }
        var out: [Point] = []
        let n = loop.count
        for i in 0..<n {
            let a = loop[(i + n - 1) % n], b = loop[i], c = loop[(i + 1) % n]
            if (b.x - a.x) * (c.y - b.y) != (b.y - a.y) * (c.x - b.x) { out.append(b) }
        }
        return out.isEmpty ? loop + [loop[0]] : out + [out[0]]
    }
}
