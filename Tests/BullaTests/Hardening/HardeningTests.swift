import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// The attacks of issue 16 that reach the core: each is refused by name, within bounded time
/// and memory, and never by a crash.
@Suite struct CanonicalNameTests {
    @Test(arguments: [
        ("LOCALHOST:5000/app:1", "localhost:5000/app:1"),
        ("DOCKER.IO/library/nginx", "docker.io/library/nginx:latest"),
        ("docker.io:443/nginx", "docker.io/library/nginx:latest"),
        ("registry-1.docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"),
        ("index.docker.io:443/x/y", "docker.io/x/y:latest"),
        ("registry.hub.docker.com/library/nginx:1.25", "docker.io/library/nginx:1.25"),
        ("ghcr.io:443/acme/app", "ghcr.io/acme/app:latest"),
        ("Registry.Example:5000/pay/api:1.0", "registry.example:5000/pay/api:1.0"),
        ("ghcr.io:0443/acme/app", "ghcr.io/acme/app:latest"),
        ("localhost:05000/app:1", "localhost:5000/app:1"),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1"),
    ])
    func registryHostsAreCanonicalBeforeMatching(_ written: String, _ canonical: String) throws {
        let reference = try RegistryReference(parsing: written)
        #expect(reference.description == canonical)
        let policy = try Policy(yaml: """
            version: 1
            noMatch: allow
            rules:
              - name: pinned
                images: ["localhost:5000/**", "docker.io/**", "ghcr.io/**", "registry.example:5000/**", "127.0.0.1:5000/**"]
                keys:
            \(try PolicyKeys.yaml([SigningKey.generate().publicKey], indent: 6))
            """, file: "canonical.yaml")
        #expect(policy.rules(matching: reference.description).count == 1, "\(written) escaped the rule")
    }
}

extension CanonicalNameTests {
    /// Hosts with more than one spelling of the same address are refused, not matched.
    @Test(arguments: ["127.0.0.01:5000/app", "127.1:5000/app", "2130706433:5000/app", "localhost:0/app", "localhost:65536/app", "300.0.0.1:80/app"])
    func ambiguousHostsAreRefused(_ written: String) {
        #expect(throws: BullaError.self, "\(written) parsed") { _ = try RegistryReference(parsing: written) }
    }
}

@Suite struct PolicyBombTests {
    @Test func nestedAliasesAreRefusedQuickly() throws {
        var yaml = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "rules: *a9\n"
        let started = ContinuousClock.now
        #expect(yaml.utf8.count < 1000)
        do {
            _ = try Policy(yaml: yaml, file: "bomb.yaml")
            Issue.record("a policy of nested aliases was accepted")
        } catch let error as BullaError {
            #expect(error.code == .limitExceeded)
            #expect(error.message.contains("more than 100000 YAML nodes"), "\(error.message)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func durationsThatOverflowAreRefused() {
        #expect(PolicyDuration.parse("9999999999999999w9999999999999999w") == nil)
        #expect(PolicyDuration.parse("\(Int.max)s1s") == nil)
        #expect(PolicyDuration.parse("30d") == 30 * 86_400)
    }

    @Test(arguments: ["GPL-3.0-only OR", "(GPL-3.0-only", "MIT, GPL-3.0-only", "GPL-3.0-only;MIT"])
    func unreadableLicenceTextNamingADeniedLicenceIsDenied(_ text: String) throws {
        let verdict = LicenseCheck.unavoidable(text, denied: [try LicenseDenial("GPL-3.0-only")])
        #expect(verdict?.contains("GPL-3.0-only") == true, "\(text) → \(verdict ?? "allowed")")
    }
}

/// Trusted keys written into a policy as PEM block scalars.
enum PolicyKeys {
    static func yaml(_ keys: [VerifyingKey], indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return keys.map { key in
            "\(pad)- |\n" + key.pemRepresentation.split(separator: "\n").map { "\(pad)  \($0)" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// Evidence whose attestations are given: two trusted keys, one attestation each.
private struct GivenAttestations: PolicyEvidence {
    var checks: [SignatureCheck]
    func signatures(trustedBy trust: TrustPolicy) -> VerificationResult { attestations(of: try! PredicateType(parsing: "spdxjson"), trustedBy: trust) }
    func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) -> VerificationResult {
        let keys = Set(checks.compactMap(\.keyID))
        return VerificationResult(
            reference: "registry.example/pay/api:1", digest: Digest.compute(over: []), verified: keys.count >= trust.threshold,
            threshold: trust.threshold, trustedKeysSatisfied: keys.sorted(), signatures: checks)
    }
}

@Suite struct AttestationThresholdTests {
    static func check(key: String, created: String) throws -> SignatureCheck {
        var check = SignatureCheck(origin: "referrer by \(key)", format: .bundle, keyID: key, counted: true, reason: "verified")
        check.verified = true
        check.predicateType = try PredicateType(parsing: "spdxjson").uri
        check.predicate = try RawJSON(validating: Array("""
            {"spdxVersion":"SPDX-2.3","creationInfo":{"created":"\(created)"},"packages":[]}
            """.utf8), what: "predicate")
        return check
    }

    static func decide(_ checks: [SignatureCheck]) throws -> PolicyDecision {
        let key = try SigningKey.generate().publicKey, other = try SigningKey.generate().publicKey
        var policy = try Policy(yaml: """
            version: 1
            rules:
              - name: two-fresh-sboms
                images: ["registry.example/**"]
                attestations:
                  - type: spdxjson
                    keys:
            \(PolicyKeys.yaml([key, other], indent: 10))
                    threshold: 2
                    maxAge: 30d
            """, file: "threshold.yaml")
        policy.noMatch = .deny
        let now = try #require(Timestamp.parse("2026-12-01T00:00:00Z"))
        return PolicyEvaluator(policy: policy, now: now).decide(
            attestationsOf: try PredicateType(parsing: "spdxjson"), reference: "registry.example/pay/api:1", digest: nil, evidence: GivenAttestations(checks: checks))
    }

    @Test func aStaleAttestationDoesNotCountTowardTheThreshold() throws {
        let decision = try Self.decide([try Self.check(key: "k1", created: "2026-11-20T00:00:00Z"), try Self.check(key: "k2", created: "2020-01-01T00:00:00Z")])
        #expect(!decision.allowed)
        #expect(decision.violations.contains { $0.message.contains("1 of 2 required trusted key(s)") }, "\(decision.violations)")
    }

    @Test func twoFreshAttestationsByTwoKeysMeetIt() throws {
        let decision = try Self.decide([try Self.check(key: "k1", created: "2026-11-20T00:00:00Z"), try Self.check(key: "k2", created: "2026-11-21T00:00:00Z")])
        #expect(decision.allowed, "\(decision.violations)")
    }

    @Test func oneKeyTwiceIsOneKey() throws {
        let decision = try Self.decide([try Self.check(key: "k1", created: "2026-11-20T00:00:00Z"), try Self.check(key: "k1", created: "2026-11-21T00:00:00Z")])
        #expect(!decision.allowed)
    }
}

@Suite struct PackageSpellingTests {
    /// U+212A KELVIN SIGN lower-cases to `k`: a name or purl written with it is still the
    /// denied package, and the cheap byte-wise pre-filter must not let it skip the full test.
    @Test(arguments: ["pkg:npm/\u{212A}leur@1.0.0", "pkg:npm/kleur@1.0.0"])
    func nonASCIISpellingsOfADeniedPackageAreDenied(_ purl: String) throws {
        let sbom = SBOM(format: .cyclonedx("1.5"), packages: [
            SBOMPackage(name: "\u{212A}afka", version: "3.0.0", purl: nil),
            SBOMPackage(name: "x", version: "1.0.0", purl: purl),
        ])
        let requirement = AttestationRequirement(
            type: try PredicateType(parsing: "cyclonedx"), trust: TrustPolicy(keys: [try SigningKey.generate().publicKey], threshold: 1),
            maxAge: nil, deniedPackages: [
                PackageDenial(purl: try PackageURL(parsing: "pkg:npm/kleur"), name: nil, versions: nil, scheme: nil, reason: nil, line: 1),
                PackageDenial(purl: nil, name: "kafka", versions: nil, scheme: nil, reason: nil, line: 2),
            ], deniedLicenses: [], requiredFields: [], line: 1)
        let violations = PolicyEvaluator.packageViolations(sbom, requirement)
        #expect(violations.count == 2, "\(violations)")
    }
}

@Suite struct EvidenceBudgetTests {
    /// A layout image with `referrers` referrer manifests whose bundle layers are `layers`
    /// (repeated as needed): each declares its real size, none is a readable bundle.
    static func image(referrers: Int, distinctLayers: Int, limits: Limits) throws -> (LayoutFixture, any ImageSource, Digest) {
        let layout = try LayoutFixture()
        let image = try layout.image()
        let empty = try layout.blob(Array("{}".utf8), mediaType: MediaType.ociEmpty)
        let layers = try (0..<distinctLayers).map { n in
            try layout.blob(Array("bundle \(n) ".utf8) + [UInt8](repeating: 0x20, count: 1000), mediaType: SigstoreBundle.mediaTypeV03)
        }
        var entries = [layout.tagged(image, "app")]
        for n in 0..<referrers {
            let layer = layers[n % layers.count]
            let manifest = """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","artifactType":"\(SigstoreBundle.mediaTypeV03)",\
                "config":{"mediaType":"\(MediaType.ociEmpty)","digest":"\(empty.digest)","size":2},\
                "layers":[{"mediaType":"\(SigstoreBundle.mediaTypeV03)","digest":"\(layer.digest)","size":\(layer.size)}],\
                "subject":{"mediaType":"\(MediaType.ociManifest)","digest":"\(image.digest)","size":\(image.size)},\
                "annotations":{"n":"\(n)"}}
                """
            var referrer = try layout.blob(Array(manifest.utf8), mediaType: MediaType.ociManifest)
            referrer.artifactType = SigstoreBundle.mediaTypeV03
            entries.append(referrer)
        }
        try layout.setIndex(entries)
        let source = try ImageSources.open(try ImageReference(parsing: "oci:\(layout.root):app"), limits: limits)
        return (layout, source, image.digest)
    }

    @Test func oneBlobListedByManyReferrersIsReadOnce() throws {
        var limits = Limits.default
        limits.maxEvidenceBytes = 3000
        let (layout, source, digest) = try Self.image(referrers: 50, distinctLayers: 1, limits: limits)
        defer { layout.remove() }
        let (found, unreadable) = try SignatureFinder(source: source, kind: .attestations).signatures(for: digest)
        #expect(found.isEmpty && unreadable.count == 1, "\(unreadable)")
    }

    @Test func evidencePastTheBudgetIsRefused() throws {
        var limits = Limits.default
        limits.maxEvidenceBytes = 3000
        let (layout, source, digest) = try Self.image(referrers: 5, distinctLayers: 5, limits: limits)
        defer { layout.remove() }
        do {
            _ = try SignatureFinder(source: source, kind: .attestations).signatures(for: digest)
            Issue.record("read past the evidence budget")
        } catch let error as BullaError {
            #expect(error.code == .limitExceeded && error.message.contains("bytes of signatures and attestations"), "\(error.message)")
        }
    }
}

@Suite struct IndexExplosionTests {
    /// Three levels of indexes, each listing the one below 300 times: 27 million paths from
    /// under 100 KB of JSON.
    @Test func repeatedChildrenAreReadOnceAndBounded() throws {
        let layout = try LayoutFixture()
        defer { layout.remove() }
        let image = try layout.image()
        var child = image
        for _ in 0..<3 { child = try layout.index(Array(repeating: child, count: 300)) }
        try layout.setIndex([layout.tagged(child, "bomb")])
        let source = try ImageSources.open(try ImageReference(parsing: "oci:\(layout.root):bomb"))
        let started = ContinuousClock.now
        #expect(throws: BullaError.self) { _ = try ImageTree(source: source) }
        do {
            _ = try ImageTree(source: source)
        } catch let error as BullaError {
            #expect(error.code == .limitExceeded && error.message.contains("more than 10000 descriptors"), "\(error.message)")
        }
        // verify-content visits each digest once: about 900 listings, well inside the bound.
        #expect(try ContentVerifier(source: source).verify().verified)
        let manifests = try ManifestWalk.manifests(under: try source.resolve(), in: source)
        #expect(manifests.count == 4)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func aDescriptorOverOneTebibyteIsRefusedWhenParsed() throws {
        let text = #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:\#(String(repeating: "a", count: 64))","size":9223372036854775807}"#
        #expect(throws: BullaError.self) { _ = try JSONDecoder().decode(Descriptor.self, from: Data(text.utf8)) }
    }
}

@Suite struct LogStateTests {
    @Test func aStateTheTilesDoNotProveIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try SigningKey.generate(.ed25519)
        do {
            let log = try TransparencyLog.create(at: dir, origin: "bulla.test/state")
            try log.append((0..<300).map { Array("entry \($0)".utf8) })
            try log.signCheckpoint(with: key)
        }
        // Flip one hex digit of the first subtree hash in the state file.
        var state = try String(contentsOfFile: "\(dir)/state", encoding: .utf8)
        let hashes = try #require(state.range(of: "\"hashes\":[\""))
        let at = hashes.upperBound
        state.replaceSubrange(at...at, with: state[at] == "0" ? "1" : "0")
        try state.write(toFile: "\(dir)/state", atomically: true, encoding: .utf8)
        do {
            _ = try TransparencyLog(opening: dir, forWriting: true)
            Issue.record("a writer opened a log whose state the tiles do not prove")
        } catch let error as BullaError {
            #expect(error.code == .logInconsistent && error.message.contains("cannot be proven"), "\(error.message)")
        }
        let reader = try TransparencyLog(opening: dir, forWriting: false)
        do {
            _ = try LogAuditor(log: reader).audit(verifier: try NoteVerifier(name: "bulla.test/state", key: key.publicKey))
            Issue.record("the audit passed a corrupted state")
        } catch let error as BullaError {
            #expect(error.message.contains("state"), "\(error.message)")
        }
    }
}
