// swift-tools-version: 6.1
import PackageDescription

// Layers (see DESIGN.md): COpenSSL/CArchive → BullaCrypto → Bulla → the `bulla` CLI.
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
            dependencies: ["BullaCrypto", "CArchive"],
            exclude: ["Policy"]
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
            dependencies: ["Bulla"]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["Bulla", "bulla"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
