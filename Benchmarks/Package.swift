// swift-tools-version: 6.1
import PackageDescription

// Kept apart from the main package so `swift build` of Bulla never builds the benchmark harness.
let package = Package(
    name: "BullaBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Bulla", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "BullaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Bulla", package: "Bulla"),
                .product(name: "BullaCrypto", package: "Bulla"),
            ],
            path: "Benchmarks/BullaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // `openssl speed`'s counterpart for Bulla's digest primitive, so scripts/bench.sh can
        // put the two side by side in one run.
        .executableTarget(
            name: "bulla-speed",
            dependencies: ["BenchSupport", .product(name: "Bulla", package: "Bulla"), .product(name: "BullaCrypto", package: "Bulla")],
            path: "Sources/bulla-speed"
        ),
        // What the benchmark executables share (their clock).
        .target(name: "BenchSupport", path: "Sources/BenchSupport"),
        // The transparency log's append, proof, memory and audit figures.
        .executableTarget(
            name: "bulla-logbench",
            dependencies: ["BenchSupport", .product(name: "Bulla", package: "Bulla"), .product(name: "BullaCrypto", package: "Bulla")],
            path: "Sources/bulla-logbench"
        ),
    ]
)
