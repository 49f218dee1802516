// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of the hub's hot path, with ordo-one/benchmark counting allocations.
// Run: `swift package --disable-sandbox benchmark` here; CI runs `benchmark thresholds check`.
let package = Package(
    name: "StreamHubBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "streamhub", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "Delivery",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StreamHubCore", package: "streamhub"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Delivery",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Publish",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StreamHubCore", package: "streamhub"),
            ],
            path: "Benchmarks/Publish",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
