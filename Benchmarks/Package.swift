// swift-tools-version:6.1
// Sluice's benchmarks, a package of their own so that package-benchmark (and its malloc interposer) stays out
// of the main build: `swift build` and `swift test` at the root never compile it. Run from this directory:
//
//     swift package benchmark
//
// (see README.md here for baselines and filters).
import PackageDescription

let package = Package(
    name: "benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../"),
        // Naming the trait turns off the package's other default trait, RuntimeInterposer, whose extra
        // swift-runtime-interposer dependency only feeds the ARC metrics, which these benchmarks do not use.
        // MallocInterposer gives the malloc counts.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // What several benchmarks share (a bytes-per-second metric, synthetic UUIDs).
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "BenchmarkSupport",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "CopyEncoder",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "sluice"),
                .product(name: "SluiceWorkload", package: "sluice"),
            ],
            path: "CopyEncoder",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Dedupe",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "sluice"),
                .product(name: "SluiceIngest", package: "sluice"),
            ],
            path: "Dedupe",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Experiments",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceExperiments", package: "sluice"),
            ],
            path: "Experiments",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RingBuffer",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceRing", package: "sluice"),
            ],
            path: "RingBuffer",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SegmentDecode",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "sluice"),
                .product(name: "SluiceEnrichment", package: "sluice"),
                .product(name: "SluiceSegment", package: "sluice"),
                .product(name: "SluiceWorkload", package: "sluice"),
            ],
            path: "SegmentDecode",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Spool",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SluiceCore", package: "sluice"),
                .product(name: "SluiceSpool", package: "sluice"),
                .product(name: "SluiceWorkload", package: "sluice"),
            ],
            path: "Spool",
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
