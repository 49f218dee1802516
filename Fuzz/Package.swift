// swift-tools-version:6.1
// Coverage-guided fuzz targets (libFuzzer), apart from the product; Fuzz/run builds them with
// SwiftPM's -sanitize=fuzzer,address on every Swift module and runs each (README.md, "Fuzzing").
import PackageDescription

/// The main package is the parent folder; SwiftPM names a path dependency after its folder.
let streamhub = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "streamhub").lowercased()

let package = Package(
    name: "streamhub-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzPublishBody",
            dependencies: ["FuzzSupport", .product(name: "StreamHubCore", package: streamhub)]
        ),
        .executableTarget(
            name: "FuzzIngest",
            dependencies: ["FuzzSupport", .product(name: "StreamHubIngest", package: streamhub)]
        ),
        .executableTarget(
            name: "FuzzPlainPublish",
            dependencies: [
                "FuzzSupport", .product(name: "StreamHubCore", package: streamhub), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzRESP",
            dependencies: ["FuzzSupport", .product(name: "StreamHubRedis", package: streamhub), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzViewerToken",
            dependencies: [
                "FuzzSupport", .product(name: "StreamHubAuth", package: streamhub), .product(name: "StreamHubCore", package: streamhub),
            ]
        ),
        .executableTarget(
            name: "FuzzViewerFrames",
            dependencies: ["FuzzSupport", .product(name: "StreamHubCore", package: streamhub), .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
