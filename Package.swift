// swift-tools-version: 6.1
import PackageDescription

// Layers (see DESIGN.md): COpenSSL/CArchive → BullaCrypto → Bulla → the `bulla` CLI.
// Bulla reads policies with Yams (YAML); nothing else outside the toolchain is linked.
// Only BullaCrypto imports COpenSSL; only Bulla/Archive imports CArchive.
let package = Package(
    name: "Bulla",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "BullaCrypto", targets: ["BullaCrypto"]),
        .library(name: "Bulla", targets: ["Bulla"]),
        .executable(name: "bulla", targets: ["bulla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .target(
            name: "BullaCrypto",
            dependencies: ["COpenSSL"]
        ),
        .target(
            name: "Bulla",
            dependencies: ["BullaCrypto", "CArchive", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "bulla",
            dependencies: [
                "Bulla",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
            dependencies: ["Bulla", "bulla"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
