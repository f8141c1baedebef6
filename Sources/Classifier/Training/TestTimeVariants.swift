import TensorEngine

/// Fixed transforms of a film for test-time augmentation: small crops, shifts, rotations and gamma
/// within the training augmentation's range (no flip: it mirrors burned-in markers).
public enum TestTimeVariants {
    public static let all: [(name: String, transform: Augmentation.Transform)] = [
        ("full", .init(crop: 1)),
        ("crop90", .init(crop: 0.9)),
        ("crop90-left", .init(crop: 0.9, shiftX: -0.04)),
        ("crop90-right", .init(crop: 0.9, shiftX: 0.04)),
        ("crop90-up", .init(crop: 0.9, shiftY: -0.04)),
        ("crop90-down", .init(crop: 0.9, shiftY: 0.04)),
        ("rotate+5", .init(crop: 0.95, degrees: 5)),
        ("rotate-5", .init(crop: 0.95, degrees: -5)),
        ("gamma0.85", .init(crop: 0.95, gamma: 0.85)),
        ("gamma1.18", .init(crop: 0.95, gamma: 1.18)),
    ]

    /// Each variant of a prepared sample at the network's input size.
    public static func grays(of sample: PreparedSample, size: Int) -> [[Float]] {
        all.map { $0.transform.render(sample.augmentationBase, side: sample.baseSide, size: size) }
    }
}
