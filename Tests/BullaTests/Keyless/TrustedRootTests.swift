import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// The sigstore-conformance suite (../shared/sigstore-conformance beside the repository,
/// Apache-2.0, origin in its PROVENANCE.md): its bundle-verify vectors and trusted roots.
enum SigstoreConformance {
    /// `/work/shared/sigstore-conformance` when the repository is `/work/main`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/sigstore-conformance")
    static let vectors = root.appendingPathComponent("test/assets/bundle-verify")

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: root.appendingPathComponent(path))) }
    static func vectorBytes(_ vector: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: vectors.appendingPathComponent(vector).appendingPathComponent(file)))
    }
    static func hasFile(_ vector: String, _ file: String) -> Bool {
        FileManager.default.fileExists(atPath: vectors.appendingPathComponent(vector).appendingPathComponent(file).path)
    }
    /// The vector's own root, else the production root the suite expects by default.
    static func trustedRoot(_ vector: String) throws -> TrustedRoot {
        hasFile(vector, "trusted_root.json") ? try TrustedRoot(bytes: try vectorBytes(vector, "trusted_root.json")) : .production
    }
    static func bundle(_ vector: String) throws -> JSONValue { try JSONValue(parsing: try vectorBytes(vector, "bundle.sigstore.json"), what: vector) }
    static var customRootVectors: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: vectors.path)) ?? []).filter { hasFile($0, "trusted_root.json") }.sorted()
    }
}

/// Trusted roots: the embedded production root, every root of the conformance suite, the
/// closed validity windows, and malformed roots refused with the field that is wrong.
@Suite struct TrustedRootTests {
    static let day = 86_400

    @Test func theEmbeddedProductionRootIsTheRecordedFile() throws {
        let embedded = Array(TrustedRoot.productionJSON.utf8)
        #expect(Digest.compute(.sha256, over: embedded).hex == TrustedRoot.productionSHA256)
        #expect(embedded == (try SigstoreConformance.bytes("trust-roots/production/trusted_root.json")))
        #expect(String(decoding: try SigstoreConformance.bytes("PROVENANCE.md"), as: UTF8.self).contains(TrustedRoot.productionSHA256))
    }

    @Test func theProductionRootReadsAsSigstorePublishesIt() throws {
        let root = TrustedRoot.production
        #expect(root.mediaType == TrustedRoot.mediaTypeV01)
        #expect(root.tlogs.map(\.baseURL) == ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"])
        #expect(root.tlogs.map(\.hostname) == ["rekor.sigstore.dev", "log2025-1.rekor.sigstore.dev"])
        #expect(try root.tlogs.map { try $0.publicKey.verifyingKey().algorithm } == [.ecdsaP256, .ed25519])
        // A Rekor v1 log's ID is the SHA-256 of its key.
        #expect(root.tlogs[0].logID == Digest.compute(.sha256, over: root.tlogs[0].publicKey.derRepresentation).bytes)
        #expect(root.tlogs[0].publicKey.validFor == .init(start: try #require(Timestamp.parse("2021-01-12T11:53:27Z"))))
        #expect(root.certificateAuthorities.count == 2 && root.ctlogs.count == 2 && root.timestampAuthorities.count == 1)
        #expect(root.certificateAuthorities[1].certificates.count == 2 && root.timestampAuthorities[0].commonName == "sigstore-tsa-selfsigned")
        // "…23:59:59.999Z" ends at that whole second.
        #expect(root.certificateAuthorities[0].validFor.end == Timestamp.parse("2022-12-31T23:59:59Z"))
    }

    /// Every trusted root in the suite is read, except the one whose log key has no start.
    @Test(arguments: SigstoreConformance.customRootVectors)
    func everyConformanceRootReads(_ vector: String) throws {
        let bytes = try SigstoreConformance.vectorBytes(vector, "trusted_root.json")
        if vector == "trust-root-tlog-missing-validity-start_fail" {
            #expect(performing: { try TrustedRoot(bytes: bytes) }, throws: {
                ($0 as? BullaError)?.message == "trusted root.tlogs[1].publicKey.validFor.start is missing: a validity window must say when it begins"
            })
        } else {
            let root = try TrustedRoot(bytes: bytes)
            #expect(!root.tlogs.isEmpty, "\(vector)")
        }
    }

    @Test func theStagingRootReads() throws {
        let staging = try TrustedRoot(bytes: try SigstoreConformance.bytes("trust-roots/staging/trusted_root.json"))
        #expect(staging.tlogs.count >= 2 && staging.ctlogs.contains { $0.publicKey.keyDetails == "PKCS1_RSA_PKCS1V5" })
    }

    @Test func validityWindowsAreClosed() throws {
        let window = TrustedRoot.ValidityPeriod(start: 100, end: 200)
        #expect(window.contains(100) && window.contains(200) && window.contains(150))
        #expect(!window.contains(99) && !window.contains(201))
        #expect(TrustedRoot.ValidityPeriod(start: 100).contains(.max))
        // The suite's end-inclusive root: `end` is the bundle's integration time, and a null member is absent.
        let root = try SigstoreConformance.trustedRoot("trust-root-tlog-validity-end-inclusive")
        #expect(root.tlogs[0].publicKey.validFor.end == 1_689_177_396)
        #expect(root.tlogs[1].publicKey.validFor.end == nil && root.tlogs[1].checkpointKeyID == nil)
    }

    /// A window's start with a fraction rounds up, its end down, so whole seconds are inside
    /// exactly when the exact instant is.
    @Test func fractionalTimesKeepTheWindowExact() throws {
        let root = try TrustedRoot(json: Self.root(validFor: #"{"start":"2024-01-01T00:00:00.250Z","end":"2024-01-02T00:00:00.750+00:00"}"#))
        let start = try #require(Timestamp.parse("2024-01-01T00:00:00Z"))
        #expect(root.tlogs[0].publicKey.validFor == .init(start: start + 1, end: start + Self.day))
    }

    @Test func protoFieldNamesAreAccepted() throws {
        let text = Self.rootText(validFor: #"{"start":"2024-01-01T00:00:00Z"}"#)
            .replacingOccurrences(of: "\"rawBytes\"", with: "\"raw_bytes\"").replacingOccurrences(of: "\"validFor\"", with: "\"valid_for\"")
            .replacingOccurrences(of: "\"baseUrl\"", with: "\"base_url\"").replacingOccurrences(of: "\"logId\"", with: "\"log_id\"")
        #expect(try TrustedRoot(bytes: Array(text.utf8)).tlogs[0].baseURL == "https://rekor.example")
    }

    @Test(arguments: [
        ("https://rekor.sigstore.dev", "rekor.sigstore.dev"), ("http://localhost:8000", "localhost"), ("http://rekor-local", "rekor-local"),
        ("https://log.example/path/x?q", "log.example"), ("https://user@[::1]:3000/", "::1"), ("log.example:443", "log.example"),
    ])
    func hostnamesAreWhatCheckpointsAreNamedBy(_ url: String, _ host: String) throws {
        var log = TrustedRoot.production.tlogs[0]
        log.baseURL = url
        #expect(log.hostname == host)
    }

    /// Malformed roots are refused, each naming the field and the reason.
    @Test(arguments: [
        (#""mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1""#, #""mediaType":"application/json""#, "is not a Sigstore trusted root"),
        (#""mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","#, "", "trusted root.mediaType is missing"),
        (#""keyId":"#, #""keyIdx":"#, "trusted root.tlogs[0].logId.keyId is missing"),
        (#""rawBytes":"MFk"#, #""rawBytes":"*Fk"#, "trusted root.tlogs[0].publicKey.rawBytes is not base64"),
        (#""validFor":{"start":"2024-01-01T00:00:00Z"}"#, #""validFor":{}"#, "validFor.start is missing"),
        (#""validFor":{"start":"2024-01-01T00:00:00Z"}"#, #""validFor":{"start":"2024-01-01"}"#, "is not an RFC 3339 time"),
        (#""validFor":{"start":"2024-01-01T00:00:00Z"}"#, #""validFor":{"start":"2024-01-01T00:00:00Z","end":"2023-01-01T00:00:00Z"}"#, "validFor.end is before its start"),
        (#""tlogs":["#, #""tlogs":7,"x":["#, "trusted root.tlogs is not an array"),
        (#""baseUrl":"https://rekor.example","#, "", "trusted root.tlogs[0].baseUrl is missing"),
    ])
    func malformedRootsAreRefusedWithTheirReason(_ original: String, _ replacement: String, _ reason: String) throws {
        let text = Self.rootText(validFor: #"{"start":"2024-01-01T00:00:00Z"}"#)
        let broken = text.replacingOccurrences(of: original, with: replacement)
        #expect(broken != text)
        #expect(performing: { try TrustedRoot(bytes: Array(broken.utf8)) }, throws: { ($0 as? BullaError)?.message.contains(reason) == true })
    }

    @Test func sizesAndCountsAreBounded() throws {
        let log = try #require(Self.rootText(validFor: #"{"start":"2024-01-01T00:00:00Z"}"#).split(separator: "[", maxSplits: 1).last?.dropLast(2))
        let many = #"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":["# + Array(repeating: String(log), count: 65).joined(separator: ",") + "]}"
        #expect(performing: { try TrustedRoot(bytes: Array(many.utf8)) }, throws: { ($0 as? BullaError)?.code == .limitExceeded })
        #expect(performing: { try TrustedRoot(bytes: [UInt8](repeating: 0x20, count: TrustedRoot.maxBytes + 1)) }, throws: { ($0 as? BullaError)?.code == .limitExceeded })
    }

    /// A key that says it is one type and is another cannot be used; RSA CT keys read but are
    /// not verification keys here.
    @Test func keyDetailsMustMatchTheKey() throws {
        var key = TrustedRoot.production.tlogs[0].publicKey
        key.keyDetails = "PKIX_ED25519"
        #expect(throws: BullaError(.malformedInput)) { try key.verifyingKey() }
        key.keyDetails = "PKIX_RSA_PKCS1V15_2048_SHA256"
        #expect(throws: BullaError(.unsupported)) { try key.verifyingKey() }
    }

    // MARK: Timestamps

    /// The suite's RFC 3161 vectors against their roots' timestamp authorities: trusted ones
    /// verify (embedded certificate or not, expired chain judged at genTime, window end
    /// included), the others are refused with their reason.
    @Test(arguments: [
        ("rekor2-happy-path", nil), ("rekor2-timestamp-with-embedded-cert", nil), ("rekor2-timestamp-without-embedded-cert", nil),
        ("rekor2-timestamp-with-expired-cert-chain", nil), ("trust-root-tsa-validity-end-inclusive", nil), ("managed-key-happy-path", nil),
        ("intoto-with-custom-trust-root", nil),
        ("rekor2-timestamp-outside-trust-root-tsa-validity_fail", "is outside its validity"),
        ("rekor2-timestamp-outside-tsa-cert-validity_fail", "certificate has expired"),
        ("rekor2-timestamp-payload-mismatch_fail", "the message imprint is"),
        ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "does not verify under a certificate chaining"),
        ("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", "does not verify under a certificate chaining"),
    ] as [(String, String?)])
    func timestampsVerifyAgainstTheRootsAuthorities(_ vector: String, _ reason: String?) throws {
        let (token, signature) = try Self.timestamp(vector)
        let root = try SigstoreConformance.trustedRoot(vector)
        if let reason {
            #expect(performing: { try root.verifiedTimestamp(token, over: signature) }, throws: { ($0 as? BullaError)?.message.contains(reason) == true })
        } else {
            let (time, _) = try root.verifiedTimestamp(token, over: signature)
            #expect(time == token.generationTime)
            #expect(throws: BullaError(.signatureInvalid)) { try root.verifiedTimestamp(token, over: signature + [0]) }
        }
    }

    /// A bare TimeStampToken (the response's ContentInfo alone) reads and verifies as the
    /// response does; trailing bytes, truncation and oversize input are refused.
    @Test func bareTokensAndBrokenEncodings() throws {
        let (token, signature) = try Self.timestamp("rekor2-timestamp-with-embedded-cert")
        let der = token.derRepresentation
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo }
        let outerHeader = der[1] & 0x80 == 0 ? 2 : 2 + Int(der[1] & 0x7F)
        let statusLength = Int(der[outerHeader + 1])
        let bare = try TimestampToken(derRepresentation: Array(der[(outerHeader + 2 + statusLength)...]))
        #expect(bare.generationTime == token.generationTime && bare.messageImprint == token.messageImprint)
        let root = try SigstoreConformance.trustedRoot("rekor2-timestamp-with-embedded-cert")
        #expect(try root.verifiedTimestamp(bare, over: signature).time == token.generationTime)
        #expect(throws: BullaError(.malformedInput)) { try TimestampToken(derRepresentation: der + [0]) }
        #expect(throws: BullaError(.malformedInput)) { try TimestampToken(derRepresentation: Array(der.dropLast())) }
        #expect(throws: BullaError(.malformedInput)) { try TimestampToken(derRepresentation: []) }
        #expect(throws: BullaError(.limitExceeded)) { try TimestampToken(derRepresentation: [UInt8](repeating: 0x30, count: TimestampToken.maxBytes + 1)) }
    }

    // MARK: Helpers

    static func timestamp(_ vector: String) throws -> (TimestampToken, [UInt8]) {
        let bundle = try SigstoreConformance.bundle(vector)
        guard case .array(let stamps)? = bundle["verificationMaterial"]?["timestampVerificationData"]?["rfc3161Timestamps"],
              let text = stamps.first?["signedTimestamp"]?.stringValue, let der = Base64.decode(text.filter { $0 != "\n" }) else {
            throw BullaError(.notFound, "\(vector) has no timestamp")
        }
        var signature = bundle["messageSignature"]?["signature"]?.stringValue
        if signature == nil, case .array(let signatures)? = bundle["dsseEnvelope"]?["signatures"] { signature = signatures.first?["sig"]?.stringValue }
        return (try TimestampToken(derRepresentation: der), try #require(signature.flatMap(Base64.decode)))
    }

    /// A minimal root: one Rekor log (the production key), no authorities.
    static func rootText(validFor: String) -> String {
        let key = Base64.encode(TrustedRoot.production.tlogs[0].publicKey.derRepresentation)
        return #"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"https://rekor.example","hashAlgorithm":"SHA2_256","#
            + #""publicKey":{"rawBytes":"\#(key)","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":\#(validFor)},"logId":{"keyId":"AAAA"}}]}"#
    }

    static func root(validFor: String) throws -> JSONValue { try JSONValue(parsing: Array(rootText(validFor: validFor).utf8), what: "root") }
}
