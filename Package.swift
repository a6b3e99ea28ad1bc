// swift-tools-version: 6.1
import PackageDescription

// Layers (see DESIGN.md): COpenSSL/CArchive/CPKCS11 → BullaCrypto → Bulla → BullaRegistry/BullaServer
// → the `bulla` CLI. Bulla reads policies with Yams (YAML) and does no networking; AsyncHTTPClient
// is only in BullaRegistry and Hummingbird only in BullaServer, so the core builds fast.
// Only BullaCrypto imports COpenSSL and CPKCS11; only Bulla/Archive imports CArchive.
// The AddressSanitizer pass (`make asan`, BULLA_SANITIZED=1) is there for the core's memory
// safety: it builds the CLI without the two network layers (Swift over SwiftNIO), which would
// otherwise double CI's build time; the plain pass builds and tests everything.
let networked = Context.environment["BULLA_SANITIZED"] == nil
let networkTargets: [Target] = networked ? [
    .target(
        name: "BullaRegistry",
        dependencies: [
            "Bulla",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]
    ),
    .target(
        name: "BullaServer",
        dependencies: [
            "Bulla",
            "BullaRegistry",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]
    ),
    .testTarget(
        name: "BullaServerTests",
        dependencies: ["BullaServer", .product(name: "HummingbirdTesting", package: "hummingbird")]
    ),
    // The transport, authentication and retries against fake registries served in-process.
    .testTarget(
        name: "BullaRegistryTests",
        dependencies: [
            "BullaRegistry",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]
    ),
    // The library as a program uses it: verify a registry image's signatures with a key.
    .executableTarget(name: "verify-image", dependencies: ["Bulla", "BullaRegistry"], path: "Examples/verify-image"),
] : []

let package = Package(
    name: "Bulla",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "BullaCrypto", targets: ["BullaCrypto"]),
        .library(name: "Bulla", targets: ["Bulla"]),
        .executable(name: "bulla", targets: ["bulla"]),
    ] + (networked ? [.library(name: "BullaRegistry", targets: ["BullaRegistry"])] : []),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // Without its default traits Hummingbird builds without swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `make docs`: the DocC catalogs of BullaCrypto, Bulla and BullaRegistry.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // No pkgConfig: its `-larchive` would link libarchive (and its nine dependencies) into
        // every process; Sources/CArchive/shim.h opens it on first use instead.
        .systemLibrary(
            name: "CArchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        // p11-kit's pkcs11.h for the standard's types and constants; no `link`: a PKCS #11
        // module is a library the user names, opened with dlopen (Sources/CPKCS11/shim.h).
        .systemLibrary(
            name: "CPKCS11",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        .target(
            name: "BullaCrypto",
            dependencies: ["COpenSSL", "CPKCS11"]
        ),
        .target(
            name: "Bulla",
            dependencies: ["BullaCrypto", "CArchive", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "bulla",
            dependencies: ["Bulla", .product(name: "ArgumentParser", package: "swift-argument-parser")]
                + (networked ? ["BullaRegistry", "BullaServer"] : [])
        ),
        .testTarget(
            name: "BullaCryptoTests",
            dependencies: ["BullaCrypto"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "BullaTests",
            dependencies: ["Bulla"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["Bulla", "bulla"] + (networked ? ["BullaRegistry"] : []),
            exclude: ["Fixtures"]
        ),
    ] + networkTargets,
    swiftLanguageModes: [.v6]
)
