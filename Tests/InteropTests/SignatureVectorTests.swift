import Bulla
import BullaCrypto
import Foundation
import Testing

/// Third-party signatures through the library's verifier: cosign legacy signatures from
/// containers/image, the DSSE spec's own vector, a sigstore-go DSSE bundle.
@Suite struct SignatureVectorTests {
    static let fixtures = SignatureInteropTests.fixtures

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(path)")))
    }

    static func key(_ path: String) throws -> VerifyingKey {
        try VerifyingKey(pemRepresentation: try bytes(path))
    }

    struct LegacyCase: Sendable, CustomTestStringConvertible {
        let signature: String
        let manifest: String
        let key: String
        let identity: String?
        let verified: Bool
        let reason: String
        var testDescription: String { "\(signature) \(identity ?? "")" }
    }

    static let legacyCases: [LegacyCase] = [
        .init(signature: "dir-img-cosign-valid__signature-1", manifest: "dir-img-cosign-valid", key: "cosign.pub", identity: "192.168.64.2:5000/cosign-signed-single-sample", verified: true, reason: "valid signature"),
        .init(signature: "dir-img-cosign-valid-2__signature-2", manifest: "dir-img-cosign-valid", key: "cosign.pub", identity: nil, verified: true, reason: "valid signature"),
        .init(signature: "dir-img-cosign-valid-with-tag__signature-1", manifest: "dir-img-cosign-valid-with-tag", key: "cosign.pub", identity: "192.168.64.2:5000/skopeo-signed:tag", verified: true, reason: "valid signature"),
        .init(signature: "dir-img-cosign-valid-with-tag__signature-1", manifest: "dir-img-cosign-valid-with-tag", key: "cosign.pub", identity: "192.168.64.2:5000/skopeo-signed:othertag", verified: false, reason: "signs for repository"),
        .init(signature: "dir-img-cosign-key-rekor-valid__signature-1", manifest: "dir-img-cosign-key-rekor-valid", key: "cosign2.pub", identity: nil, verified: true, reason: "valid signature"),
        .init(signature: "dir-img-cosign-key-rekor-valid__signature-1", manifest: "dir-img-cosign-key-rekor-valid", key: "cosign.pub", identity: nil, verified: false, reason: "does not verify"),
        .init(signature: "dir-img-cosign-modified-manifest__signature-1", manifest: "dir-img-cosign-modified-manifest", key: "cosign.pub", identity: nil, verified: false, reason: "not this image"),
        .init(signature: "unknown-cosign-key.signature", manifest: "dir-img-cosign-valid", key: "cosign.pub", identity: nil, verified: false, reason: "does not verify"),
        .init(signature: "dir-img-cosign-other-attachment__signature-1", manifest: "dir-img-cosign-valid", key: "cosign.pub", identity: nil, verified: false, reason: "does not verify"),
    ]

    @Test(arguments: legacyCases)
    func cosignLegacySignaturesFromContainersImage(_ c: LegacyCase) throws {
        let payload = try Self.bytes("cosign-legacy/\(c.signature).payload.json")
        let sig64 = String(decoding: try Self.bytes("cosign-legacy/\(c.signature).sig.b64"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let signature = try #require(Base64.decode(sig64))
        // The image digest is the SHA-256 of the manifest bytes the signature was made for.
        let image = Digest.compute(over: try Self.bytes("cosign-legacy/\(c.manifest).manifest.json"))
        let verifier = try ImageVerifier(trust: TrustPolicy(keys: [try Self.key("cosign-legacy/\(c.key)")], identity: c.identity))
        let result = verifier.verify(image, reference: c.manifest, signatures: [FoundSignature(origin: c.signature, format: .legacy, content: .legacy(payload: payload, signature: signature))])
        #expect(result.verified == c.verified, "\(result.signatures.map(\.reason))")
        #expect(result.signatures.first?.reason.contains(c.reason) == true, "\(result.signatures.map(\.reason))")
        print("legacy vector \(c.signature): \(result.signatures.first?.reason ?? "")")
    }

    @Test func validLegacyDigestIsTheOneTheREADMEStates() throws {
        #expect(Digest.compute(over: try Self.bytes("cosign-legacy/dir-img-cosign-valid.manifest.json")).description
            == "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00")
    }

    @Test func dsseSpecVectorVerifiesAndItsModifiedCopyDoesNot() throws {
        let key = try Self.key("dsse/protocol-hello-world.derived.pub.pem")
        func envelope(_ name: String) throws -> DSSEEnvelope {
            try DSSEEnvelope(json: try JSONDecoder().decode(JSONValue.self, from: Data(try Self.bytes("dsse/\(name)"))))
        }
        let good = try envelope("protocol-hello-world.envelope.json")
        #expect(String(decoding: good.preAuthenticationEncoding, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        #expect(good.signatures(verifiedBy: key).count == 1, "raw r||s signature verifies after conversion")
        #expect(try envelope("derived-hello-world.payload-modified.envelope.json").signatures(verifiedBy: key).isEmpty)
    }

    @Test func sigstoreGoDSSEBundleWithStatementV01() throws {
        let bundle = try SigstoreBundle(bytes: try Self.bytes("sigstore-go/bundle-publish.json"))
        guard case .dsse(let envelope) = bundle.content else { Issue.record("expected a DSSE bundle"); return }
        #expect(envelope.signatures(verifiedBy: try Self.key("sigstore-go/publish_key.pub")).count == 1)
        let statement = try InTotoStatement(payload: envelope.payload)
        #expect(statement.type == InTotoStatement.typeV01)
        #expect(statement.subjects.first?.name == "pkg:npm/sigstore@1.3.0")
        var flipped = envelope
        flipped.payload[10] ^= 1
        #expect(flipped.signatures(verifiedBy: try Self.key("sigstore-go/publish_key.pub")).isEmpty)
    }
}
