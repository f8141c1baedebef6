// swift-tools-version:6.0
import PackageDescription

// System C libraries come from Debian packages (see README / .ci/run):
// libdcmtk-dev, libpng-dev, libjpeg-dev, libopenjp2-7-dev, libssl-dev, libopenblas-dev, libdnnl-dev, libtesseract-dev.
let package = Package(
    name: "CXRExplain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cxr-explain", targets: ["cxr-explain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // The only C/C++ in the project: a flat C API over DCMTK (dcmdata, codecs, dcmnet's C-STORE SCU and SCP pool, dcmsr/cmr, dcmpmap, dcmpstat),
        // OpenJPEG, libpng and libjpeg-turbo.
        .target(
            name: "DICOMBridge",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/openjpeg-2.5", "-I/usr/include/libpng16"]),
            ],
            linkerSettings: [
                .linkedLibrary("cmr"), .linkedLibrary("dcmsr"), .linkedLibrary("dcmpmap"), .linkedLibrary("dcmfg"), .linkedLibrary("dcmiod"),
                .linkedLibrary("dcmpstat"),
                .linkedLibrary("dcmjpls"), .linkedLibrary("dcmjpeg"), .linkedLibrary("dcmimage"),
                .linkedLibrary("dcmimgle"), .linkedLibrary("dcmnet"), .linkedLibrary("dcmdata"), .linkedLibrary("oflog"),
                .linkedLibrary("ofstd"), .linkedLibrary("openjp2"), .linkedLibrary("png16"),
                .linkedLibrary("jpeg"), .linkedLibrary("z"),
            ]
        ),
        // SHA-1 / SHA-256 from Debian's OpenSSL libcrypto (deterministic UIDs, model and input digests).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Preprocess", dependencies: ["DICOMBridge", "CCrypto"]),
        // Debian's Tesseract (C API): burned-in projection markers (PORTABLE, SUPINE, …) that the network cannot
        // read at its 227-pixel input.
        .systemLibrary(name: "CTesseract", providers: [.apt(["libtesseract-dev", "tesseract-ocr-eng"])]),
        .target(name: "Markers", dependencies: ["Preprocess", "CTesseract"]),
        // Debian's OpenBLAS (CBLAS + LAPACK); the environment's OpenBLAS variables are left alone.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Debian's oneDNN (libdnnl-dev): GEMM kernels chosen by the running CPU's instruction set.
        .systemLibrary(name: "COneDNN", providers: [.apt(["libdnnl-dev"])]),
        // The tensor engine: layers, SqueezeNet, weights and optimisers over flat buffers. Only oneDNN and BLAS:
        // it knows no image or DICOM format and nothing of views.
        .target(name: "TensorEngine", dependencies: ["COneDNN", "COpenBLAS", "AVX2Kernels"]),
        // Our own kernels of the inference pass (Winograd 3×3 convolution, max-pooling) on oneDNN's channel-blocked
        // layout: compiled for AVX2 + FMA, called only when the running CPU has them (the tensor engine asks oneDNN).
        .target(name: "AVX2Kernels", swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]),
        // The view model: classes, training, calibration, the content check, inference on radiographs.
        .target(name: "Classifier", dependencies: ["TensorEngine", "Preprocess", "Markers", "COpenBLAS"]),
        .target(name: "Explain", dependencies: ["TensorEngine", "Classifier", "Preprocess", "COpenBLAS"]),
        .target(name: "DICOMOutput", dependencies: ["DICOMBridge", "Preprocess", "CCrypto"]),
        .target(name: "Pipeline", dependencies: ["DICOMBridge", "Preprocess", "TensorEngine", "Classifier", "Explain", "DICOMOutput",
                                                .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "cxr-explain",
            dependencies: [
                "Preprocess", "Markers", "TensorEngine", "Classifier", "Explain", "DICOMOutput", "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "cxr-bench", dependencies: ["TensorEngine", "Classifier", "Explain", "Preprocess", "COpenBLAS"]),
        .target(name: "TestSupport", dependencies: ["Preprocess"], path: "Tests/TestSupport"),
        .testTarget(name: "DICOMBridgeTests", dependencies: ["DICOMBridge", "Preprocess", "TestSupport"]),
        .testTarget(name: "PreprocessTests", dependencies: ["Preprocess", "TestSupport"]),
        .testTarget(name: "MarkersTests", dependencies: ["Markers", "CTesseract", "Preprocess", "TestSupport"]),
        .testTarget(name: "DICOMOutputTests", dependencies: ["DICOMOutput", "Preprocess", "TestSupport"], exclude: ["Regressions"]),
        .testTarget(name: "ClassifierTests", dependencies: ["TensorEngine", "Classifier", "Markers", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ExplainTests", dependencies: ["Explain", "TensorEngine", "Classifier", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "TensorEngine", "Classifier", "Explain", "DICOMOutput", "Preprocess", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Preprocess", "Markers"]),
    ],
    cxxLanguageStandard: .cxx17
)
