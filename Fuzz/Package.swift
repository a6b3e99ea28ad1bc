// swift-tools-version: 6.1
import PackageDescription

// libFuzzer harness over every parser of untrusted input. Kept apart from the main package:
// it only links with -sanitize=fuzzer. Run with `make fuzz` (scripts/fuzz.sh).
let package = Package(
    name: "BullaFuzz",
    dependencies: [.package(name: "Bulla", path: "..")],
    targets: [
        .executableTarget(
            name: "fuzz-parsers",
            dependencies: [.product(name: "Bulla", package: "Bulla"), .product(name: "BullaCrypto", package: "Bulla")],
            path: "Sources/fuzz-parsers",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
