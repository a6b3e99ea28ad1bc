import Bulla
import Foundation
import Testing

/// Bulla's package model against the peers' own readers: spdx-tools for SPDX and
/// cyclonedx-python-lib for CycloneDX (Tests/Fixtures/sbom_packages.py), on the third-party
/// SBOMs in Fixtures/sbom and on SBOMs syft generates from a real image.
@Suite struct SBOMPeerTests {
    static let reader = AttestationPolicyTests.fixtures.appendingPathComponent("sbom_packages.py").path
    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sbom").path
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var documents: [String] {
        let names = (FileManager.default.enumerator(atPath: vectors)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        return names.filter { !$0.contains("/invalid-") }.sorted()
    }

    /// One package as both sides are compared: licences through one canonical form (the peers
    /// drop redundant parentheses), identical components once (cyclonedx-python-lib keeps a set).
    static func packages(_ json: Any?) -> Set<String> {
        let list = (json as? [String: Any])?["packages"] as? [[String: Any]] ?? json as? [[String: Any]] ?? []
        return Set(list.map { package in
            let license = (package["license"] as? String).map { text in (try? LicenseExpression(parsing: text))?.description ?? text }
            return [package["name"] as? String, package["version"] as? String, package["purl"] as? String, license, package["supplier"] as? String]
                .map { $0 ?? "-" }.joined(separator: " | ")
        })
    }

    static func compare(_ file: String, in directory: String? = nil) throws {
        let ours = try Peers.bulla("sbom", "packages", file, "--output", "json", in: directory)
        #expect(ours.status == 0, "\(file): \(ours.stderr)")
        let theirs = try Command.run(["python3", reader, file], in: directory)
        #expect(theirs.status == 0, "\(file): \(theirs.stderr)")
        let a = packages(try JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)))
        let b = packages(try JSONSerialization.jsonObject(with: Data(theirs.stdout.utf8)))
        #expect(a == b, "\(file): only Bulla \(a.subtracting(b).sorted().prefix(5)); only the peer \(b.subtracting(a).sorted().prefix(5))")
    }

    @Test func thereAreRealSBOMs() {
        #expect(Self.documents.count >= 30)
    }

    @Test(arguments: documents)
    func packageListsEqualThePeers(_ name: String) throws {
        try Self.compare("\(Self.vectors)/\(name)")
    }

    /// syft's SPDX and CycloneDX output for an image with Debian and Python packages.
    @Test func syftSBOMsReadTheSame() throws {
        let dir = try SignatureInteropTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try KeyInteropTests.sh("""
            umoci init --layout l && umoci new --image l:t && mkdir r
            bash \(Self.repository)/scripts/package-rootfs.sh r
            umoci insert --image l:t r / >/dev/null
            SYFT_CHECK_FOR_APP_UPDATE=false syft scan -q oci-dir:l -o spdx-json=s.spdx.json -o cyclonedx-json=s.cdx.json
            """, in: dir)
        for file in ["s.spdx.json", "s.cdx.json"] {
            try Self.compare(file, in: dir)
            let listed = try Peers.bulla("sbom", "packages", file, in: dir).stdout
            for package in ["pkg:deb/debian/libssl3@", "pkg:deb/debian/zlib1g@", "pkg:pypi/cryptography@", "pkg:pypi/packageurl-python@"] {
                #expect(listed.contains(package), "\(file) lacks \(package)")
            }
        }
    }

    /// Bulla is stricter than cyclonedx-python-lib about what a CycloneDX document is.
    @Test func aForeignBomFormatIsRefused() throws {
        let refused = try Peers.bulla("sbom", "packages", "\(Self.vectors)/cyclonedx/specification/invalid-bomformat-1.6.json")
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("bomFormat is \"AnotherFormat\", not CycloneDX"))
    }
}
