/// One block of floats for all parameters, with each tensor at a named offset (torchvision's names).
/// Gradients and optimiser state share the layout, so an optimiser step is one flat loop.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var total = 0

    public init() {}

    mutating func append(_ name: String, _ shape: [Int]) {
        let entry = Entry(name: name, shape: shape, offset: total)
        entries.append(entry)
        total += entry.count
    }

    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    public func offset(_ name: String) -> Int {
        guard let e = entry(name) else { preconditionFailure("no parameter \(name)") }
        return e.offset
    }
}
