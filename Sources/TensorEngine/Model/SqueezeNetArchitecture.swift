/// SqueezeNet 1.1 in torchvision's layout (`torchvision.models.squeezenet1_1`):
/// conv1 64×3×3/2 + ReLU, max-pool 3/2 (ceil), fire2–3, pool, fire4–5, pool, fire6–9,
/// dropout 0.5, conv10 1×1 to the classes + ReLU, global average pool.
public struct SqueezeNetArchitecture: Sendable, Equatable {
    /// A fire module: squeeze 1×1, then expand 1×1 and expand 3×3 concatenated.
    public struct Fire: Sendable, Equatable {
        public var index: Int         // position in torchvision's `features`
        public var inChannels: Int
        public var squeeze: Int
        public var expand1: Int
        public var expand3: Int
        public var outChannels: Int { expand1 + expand3 }
    }

    public var classes: Int
    public var inputSize: Int

    public static let fires: [Fire] = [
        Fire(index: 3, inChannels: 64, squeeze: 16, expand1: 64, expand3: 64),
        Fire(index: 4, inChannels: 128, squeeze: 16, expand1: 64, expand3: 64),
        Fire(index: 6, inChannels: 128, squeeze: 32, expand1: 128, expand3: 128),
        Fire(index: 7, inChannels: 256, squeeze: 32, expand1: 128, expand3: 128),
        Fire(index: 9, inChannels: 256, squeeze: 48, expand1: 192, expand3: 192),
        Fire(index: 10, inChannels: 384, squeeze: 48, expand1: 192, expand3: 192),
        Fire(index: 11, inChannels: 384, squeeze: 64, expand1: 256, expand3: 256),
        Fire(index: 12, inChannels: 512, squeeze: 64, expand1: 256, expand3: 256),
    ]
    /// Max-pools follow these feature indices (2, 5, 8 in torchvision).
    static let poolAfterFire: Set<Int> = [4, 7]

    public init(classes: Int = 2, inputSize: Int = 227) {
        precondition(classes >= 1 && inputSize >= 64)
        self.classes = classes
        self.inputSize = inputSize
    }

    /// conv1: 64 filters of 3×3 over the RGB input, stride 2.
    public var conv1Shape: ConvShape {
        ConvShape(inChannels: 3, outChannels: 64, kernel: 3, stride: 2, height: inputSize, width: inputSize)
    }

    /// conv1's output side, then after each pool.
    public var conv1Size: Int { (inputSize - 3) / 2 + 1 }
    public var sizes: (fire23: Int, fire45: Int, fire69: Int) {
        let a = MaxPool2D.outputSize(conv1Size, kernel: 3, stride: 2)
        let b = MaxPool2D.outputSize(a, kernel: 3, stride: 2)
        let c = MaxPool2D.outputSize(b, kernel: 3, stride: 2)
        return (a, b, c)
    }

    /// The side of the fire9 output (14 at 227, 13 at 224).
    public var featureSize: Int { sizes.fire69 }

    public var layout: ParameterLayout {
        var l = ParameterLayout()
        l.append("features.0.weight", [64, 3, 3, 3])
        l.append("features.0.bias", [64])
        for f in Self.fires {
            l.append("features.\(f.index).squeeze.weight", [f.squeeze, f.inChannels, 1, 1])
            l.append("features.\(f.index).squeeze.bias", [f.squeeze])
            l.append("features.\(f.index).expand1x1.weight", [f.expand1, f.squeeze, 1, 1])
            l.append("features.\(f.index).expand1x1.bias", [f.expand1])
            l.append("features.\(f.index).expand3x3.weight", [f.expand3, f.squeeze, 3, 3])
            l.append("features.\(f.index).expand3x3.bias", [f.expand3])
        }
        l.append("classifier.1.weight", [classes, 512, 1, 1])
        l.append("classifier.1.bias", [classes])
        return l
    }

    /// Spatial side of the input to fire `index`.
    func side(ofFire index: Int) -> Int {
        switch index {
        case 3, 4: return sizes.fire23
        case 6, 7: return sizes.fire45
        default: return sizes.fire69
        }
    }
}
