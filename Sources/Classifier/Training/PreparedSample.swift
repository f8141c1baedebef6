import TensorEngine
import Foundation
import Preprocess

/// An image read once and kept in the two forms training needs: the exact network input as
/// inference makes it (for evaluation), and a larger padded square to augment from.
public struct PreparedSample: Sendable {
    public var image: LabeledImage
    /// `size × size` gray, exactly as `NetworkInput` makes it for inference.
    public var evaluationGray: [Float]
    /// `baseSide × baseSide` gray: the padded square at a higher resolution, for augmentation.
    public var augmentationBase: [Float]
    public var baseSide: Int

    public static let baseSide = 288

    /// A sample made in memory (tests, synthetic data).
    public init(image: LabeledImage, evaluationGray: [Float], augmentationBase: [Float], baseSide: Int) {
        self.image = image
        self.evaluationGray = evaluationGray
        self.augmentationBase = augmentationBase
        self.baseSide = baseSide
    }

    public init(image: LabeledImage, options: NetworkInputOptions) throws {
        let radiograph = try RadiographLoader.load(path: image.path)
        self.image = image
        evaluationGray = NetworkInput(radiograph: radiograph, options: options).gray
        var big = options
        big.size = max(Self.baseSide, options.size * 9 / 7)  // room to crop and rotate at any input size
        augmentationBase = NetworkInput(radiograph: radiograph, options: big).gray
        baseSide = big.size
    }

    /// Reads images on all cores; failures are returned with their reasons, never stop the rest.
    public static func prepare(_ images: [LabeledImage], options: NetworkInputOptions,
                               progress: ((Int, Int) -> Void)? = nil) -> (samples: [PreparedSample], failures: [String]) {
        let results = LockedSlots<Outcome>(count: images.count)
        let done = Counter()
        Parallel.chunks(images.count, minimumChunk: 1) { range in
            for i in range {
                do { results.set(i, .success(try PreparedSample(image: images[i], options: options))) } catch {
                    results.set(i, .failure("\(error)"))
                }
                let n = done.increment()
                progress?(n, images.count)
            }
        }
        var samples: [PreparedSample] = [], failures: [String] = []
        for r in results.values {
            switch r {
            case .success(let s): samples.append(s)
            case .failure(let f): failures.append(f)
            case nil: break
            }
        }
        return (samples, failures)
    }

    enum Outcome { case success(PreparedSample), failure(String) }

    final class Counter: @unchecked Sendable {
        var value = 0
        let lock = NSLock()
        func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}
