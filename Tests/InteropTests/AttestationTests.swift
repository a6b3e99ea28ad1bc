import Foundation
import Testing

/// Attestations: an SBOM attested in both formats verifies with Bulla, parses under
/// sigstore-models and verifies with securesystemslib; the wrong type, key or image does not.
@Suite struct AttestationTests {

    static func workspace() throws -> String {
        let dir = try ImageSigningTests.signedWorkspace()
        // A real SPDX 2.3 document stands in for the predicate.
        _ = try KeyInteropTests.sh("""
            python3 - <<'PY'
            import json
            json.dump({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "demo", "dataLicense": "CC0-1.0",
                       "packages": [{"SPDXID": "SPDXRef-Package-log4j", "name": "log4j-core", "versionInfo": "2.14.1",
                                     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                                       "referenceLocator": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}]},
                      open("sbom.spdx.json", "w"))
            PY
            """, in: dir)
        return dir
    }

    @Test func bothFormatsVerifyAndPrintThePredicate() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson", in: dir).status == 0)
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "ed.key", "--predicate", "sbom.spdx.json", "--type", "https://spdx.dev/Document/v2.3", "--format", "legacy", in: dir).status == 0)
        let both = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--key", "ed.pub", "--threshold", "2", "--type", "spdxjson", in: dir)
        #expect(both.status == 0, "\(both.stdout) \(both.stderr)")
        let predicate = try #require(try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])
        #expect(predicate["spdxVersion"] as? String == "SPDX-2.3")
        // Attestations are not signatures, and signatures are not attestations.
        #expect(try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", in: dir).status == 1)
        let wrongType = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "cyclonedx", in: dir)
        #expect(wrongType.status == 1)
        #expect(wrongType.stderr.contains("predicate type is https://spdx.dev/Document, not https://cyclonedx.org/bom"))
        let otherImage = try Peers.bulla("verify-attestation", "oci:layout:arm64", "--key", "p256.pub", "--type", "spdxjson", in: dir)
        #expect(otherImage.status == 1)
        #expect(try Peers.bulla("verify-content", "oci:layout", in: dir).status == 0)
    }

    @Test func peersReadBullaAttestations() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("attest", "oci:layout:arm64", "--key", "p256.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson", "--output-bundle", "att.json", in: dir).status == 0)
        let checked = try Command.run(["python3", SignatureInteropTests.checker, "att.json", "p256.pub"], in: dir)
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
        #expect(checked.stdout.contains("securesystemslib: DSSE envelope verified"))
        let statement = try KeyInteropTests.sh("python3 -c \"import json,base64; print(base64.b64decode(json.load(open('att.json'))['dsseEnvelope']['payload']).decode())\"", in: dir)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(statement.utf8)) as? [String: Any])
        #expect(parsed["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(parsed["predicateType"] as? String == "https://spdx.dev/Document")
        let digest = try Peers.bulla("digest", "oci:layout:arm64", in: dir).out
        #expect(((parsed["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String])?["sha256"] == String(digest.dropFirst(7)))
        #expect(try Peers.bulla("verify-attestation", "oci:layout:arm64", "--key", "p256.pub", "--type", "spdxjson", "--bundle", "att.json", in: dir).status == 0)
    }

    @Test(arguments: [("[1,2]", "a predicate is a JSON object"), ("{\"a\":1,\"a\":2}", "repeats the member"), ("not json", "not JSON")])
    func badPredicatesAreRefused(_ body: String, _ reason: String) throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let result = try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "bad.json", "--type", "spdxjson", in: dir)
        #expect(result.status == 3)
        #expect(result.stderr.contains(reason), "\(result.stderr)")
    }
}

@Suite struct StatementPassThroughTests {
    /// A statement made elsewhere is signed byte for byte when its subject is the image.
    @Test func aStatementIsSignedAsGivenWhenItNamesTheImage() throws {
        let dir = try AttestationTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digest = try Peers.bulla("digest", "oci:layout:amd64", in: dir).out
        let statement = #"{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "app", "digest": {"sha256": "\#(digest.dropFirst(7))"}}], "predicateType": "https://slsa.dev/provenance/v1", "predicate": {"buildDefinition": {"buildType": "https://example.invalid/build"}}}"#
        try statement.write(toFile: dir + "/statement.json", atomically: true, encoding: .utf8)
        let made = try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--statement", "statement.json", "--output-bundle", "prov.json", in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        let signed = try KeyInteropTests.sh("python3 -c \"import json,base64,sys; sys.stdout.write(base64.b64decode(json.load(open('prov.json'))['dsseEnvelope']['payload']).decode())\"", in: dir)
        #expect(signed == statement, "the payload is the file's bytes, spaces and all")
        #expect(try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "slsaprovenance", "--bundle", "prov.json", in: dir).status == 0)
        // The same statement cannot be attached to another image, or under another type.
        let other = try Peers.bulla("attest", "oci:layout:arm64", "--key", "p256.key", "--statement", "statement.json", "--output-bundle", "x.json", in: dir)
        #expect(other.status == 2)
        #expect(other.stderr.contains("subject is not this image"))
        let wrongType = try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--statement", "statement.json", "--type", "spdxjson", "--output-bundle", "x.json", in: dir)
        #expect(wrongType.status == 2)
        #expect(wrongType.stderr.contains("not https://spdx.dev/Document"))
    }
}
