import Foundation
import Testing

/// Attestations under a policy, end to end: the tamper set (each refused with its own reason)
/// and `policy check` on real layouts, with attestations made by Bulla and by an independent
/// signer (Python `cryptography`) where Bulla would refuse to make them.
@Suite struct AttestationPolicyTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let maker = fixtures.appendingPathComponent("make_attestation.py").path
    static let statementChecker = fixtures.appendingPathComponent("check_statement.py").path

    /// A workspace with the signed layout, keys, an SPDX SBOM made today and one made in 2020.
    static func workspace() throws -> (dir: String, amd64: String, arm64: String) {
        let dir = try AttestationTests.workspace()
        _ = try KeyInteropTests.sh("""
            python3 - <<'PY'
            import json, datetime
            doc = json.load(open("sbom.spdx.json"))
            doc["creationInfo"] = {"created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "creators": ["Tool: test"]}
            json.dump(doc, open("fresh.spdx.json", "w"))
            doc["creationInfo"]["created"] = "2020-01-01T00:00:00Z"
            json.dump(doc, open("old.spdx.json", "w"))
            PY
            """, in: dir)
        let amd64 = String(try Peers.bulla("digest", "oci:layout:amd64", in: dir).out.dropFirst(7))
        let arm64 = String(try Peers.bulla("digest", "oci:layout:arm64", in: dir).out.dropFirst(7))
        return (dir, amd64, arm64)
    }

    static func statement(subjects: [String], in dir: String, name: String) throws {
        let subject = subjects.map { "{\"digest\":{\"sha256\":\"\($0)\"}}" }.joined(separator: ",")
        let predicate = try String(contentsOfFile: dir + "/fresh.spdx.json", encoding: .utf8)
        try "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[\(subject)],\"predicateType\":\"https://spdx.dev/Document\",\"predicate\":\(predicate)}"
            .write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
    }

    static func policy(_ yaml: String, in dir: String) throws {
        try yaml.write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
    }

    /// Each tampered attestation is refused by `verify-attestation` for its own reason.
    @Test func theTamperSetIsRefusedReasonByReason() throws {
        let (dir, amd64, arm64) = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func python(_ arguments: String...) throws { try Command.succeed(["python3", Self.maker] + arguments, in: dir) }
        // Signed by an independent signer: another image's subject, several subjects none of
        // which is this image, and a payloadType that is not in-toto.
        try Self.statement(subjects: [arm64], in: dir, name: "other.json")
        try python("sign", "p256.key", "pw", "other.json", "other.bundle")
        try Self.statement(subjects: [arm64, String(repeating: "ab", count: 32)], in: dir, name: "several.json")
        try python("sign", "p256.key", "pw", "several.json", "several.bundle")
        try Self.statement(subjects: [amd64], in: dir, name: "good.json")
        try python("sign", "p256.key", "pw", "good.json", "payloadtype.bundle", "application/json")
        // Made by Bulla, then edited: the predicate type swapped after signing.
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "fresh.spdx.json", "--type", "spdxjson", "--output-bundle", "bulla.bundle", in: dir).status == 0)
        try python("edit", "bulla.bundle", "swapped.bundle", "predicateType", "https://cyclonedx.org/bom")
        // Made by Bulla with a key the verifier does not trust.
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "ed.key", "--predicate", "fresh.spdx.json", "--type", "spdxjson", "--output-bundle", "untrusted.bundle", in: dir).status == 0)

        // The independent signer's honest attestation verifies: the tampering is what fails.
        try python("sign", "p256.key", "pw", "good.json", "good.bundle")
        let good = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "spdxjson", "--bundle", "good.bundle", in: dir)
        #expect(good.status == 0, "\(good.stderr)")

        let cases: [(bundle: String, type: String, reason: String)] = [
            ("other.bundle", "spdxjson", "signs sha256:\(arm64), not this image sha256:\(amd64)"),
            ("several.bundle", "spdxjson", "signs sha256:\(arm64), sha256:\(String(repeating: "ab", count: 32)), not this image"),
            ("payloadtype.bundle", "spdxjson", "payloadType is application/json, not application/vnd.in-toto+json"),
            ("swapped.bundle", "cyclonedx", "it names trusted key"),
            ("untrusted.bundle", "spdxjson", "which is not trusted"),
        ]
        for (bundle, type, reason) in cases {
            let result = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", type, "--bundle", bundle, in: dir)
            #expect(result.status == 1, "\(bundle): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(reason), "\(bundle): \(result.stderr)")
        }
    }

    /// `policy check` on a layout: an old SBOM fails maxAge, a missing attestation type is
    /// named, a denied package names rule, package and version; a clean image is allowed.
    @Test func policyCheckDecidesAndSaysWhy() throws {
        let (dir, _, _) = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", in: dir).status == 0)
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "old.spdx.json", "--type", "spdxjson", in: dir).status == 0)
        try Self.policy("""
            version: 1
            rules:
              - name: fresh-sbom
                images: ["oci:layout:*"]
                keys: [p256.pub]
                attestations:
                  - type: spdxjson
                    maxAge: 30d
            """, in: dir)
        let stale = try Peers.bulla("policy", "check", "--policy", "policy.yaml", "oci:layout:amd64", in: dir)
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("DENY  oci:layout:amd64"))
        #expect(stale.stdout.contains("was made 2020-01-01T00:00:00Z"), "\(stale.stdout)")
        #expect(stale.stdout.contains("maxAge is 30d"))

        // A fresh SBOM passes maxAge; its log4j-core 2.14.1 is what the next rule denies.
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "fresh.spdx.json", "--type", "spdxjson", in: dir).status == 0)
        try Self.policy("""
            version: 1
            rules:
              - name: log4shell
                images: ["oci:layout:*"]
                keys: [p256.pub]
                attestations:
                  - type: spdxjson
                    maxAge: 30d
                    deniedPackages:
                      - purl: pkg:maven/org.apache.logging.log4j/log4j-core
                        versions: "< 2.17.1"
                  - type: slsaprovenance
            """, in: dir)
        let denied = try Peers.bulla("policy", "check", "--policy", "policy.yaml", "oci:layout:amd64", "--output", "json", in: dir)
        #expect(denied.status == 1)
        let decisions = try #require(try JSONSerialization.jsonObject(with: Data(denied.stdout.utf8)) as? [[String: Any]])
        #expect(decisions.first?["decision"] as? String == "deny")
        let messages = (decisions.first?["violations"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.contains("package log4j-core 2.14.1") && $0.contains("< 2.17.1") }, "\(messages)")
        // The old SBOM still verifies but is past maxAge; the fresh one is judged.
        #expect(messages.contains { $0.contains("no https://slsa.dev/provenance/v1 attestation by 1 trusted key(s)") }, "\(messages)")

        // The same SBOM under a rule that allows it: exit 0.
        try Self.policy("""
            version: 1
            rules:
              - name: patched
                images: ["oci:layout:amd64"]
                keys: [p256.pub]
                attestations:
                  - type: spdxjson
                    maxAge: 30d
                    deniedPackages:
                      - name: log4j-core
                        versions: "< 2.14.0"
            """, in: dir)
        let allowed = try Peers.bulla("policy", "check", "--policy", "policy.yaml", "oci:layout:amd64", in: dir)
        #expect(allowed.status == 0, "\(allowed.stdout) \(allowed.stderr)")
        #expect(allowed.stdout.hasPrefix("ALLOW  oci:layout:amd64"))
        // An image no rule matches is denied by default, and its reason says so.
        let unmatched = try Peers.bulla("policy", "check", "--policy", "policy.yaml", "oci:layout:amd64", "oci:layout:arm64", in: dir)
        #expect(unmatched.status == 1)
        #expect(unmatched.stdout.contains("no rule matches oci:layout:arm64; noMatch is deny"), "\(unmatched.stdout)")
        // verify-attestation applies the same policy to what --key verified.
        let viaVerify = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "spdxjson", "--policy", "policy.yaml", in: dir)
        #expect(viaVerify.status == 0, "\(viaVerify.stdout) \(viaVerify.stderr)")
    }

    /// Bulla's attestation statements validate with PyPI in-toto-attestation.
    @Test func statementsValidateWithInTotoAttestation() throws {
        let (dir, _, _) = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for type in ["spdxjson", "https://example.com/custom/v1"] {
            #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "fresh.spdx.json", "--type", type, "--output-bundle", "att.json", in: dir).status == 0)
            _ = try KeyInteropTests.sh("python3 -c \"import json,base64; open('statement.json','wb').write(base64.b64decode(json.load(open('att.json'))['dsseEnvelope']['payload']))\"", in: dir)
            let checked = try Command.run(["python3", Self.statementChecker, "statement.json"], in: dir)
            #expect(checked.status == 0, "\(type): \(checked.stdout) \(checked.stderr)")
        }
        // The checker is not a rubber stamp: a statement with a truncated digest fails it.
        try Self.statement(subjects: ["abc"], in: dir, name: "bad.json")
        #expect(try Command.run(["python3", Self.statementChecker, "bad.json"], in: dir).status == 1)
    }
}
