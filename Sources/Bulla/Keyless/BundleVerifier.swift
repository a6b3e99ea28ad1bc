import BullaCrypto

/// Who must have signed a keyless bundle: the OIDC issuer Fulcio recorded and the identity
/// (the certificate's subject alternative name), exact or by a whole-string regular expression.
public struct CertificateIdentity: Sendable, Hashable, Codable {
    /// The OIDC issuer, compared exactly (`https://token.actions.githubusercontent.com`).
    public var issuer: String
    /// The identity, compared exactly; nil when `subjectPattern` is given instead.
    public var subject: String?
    /// A regular expression the whole identity must match.
    public var subjectPattern: String?

    /// An identity rule; give `subject` or `subjectPattern`.
    public init(issuer: String, subject: String? = nil, subjectPattern: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.subjectPattern = subjectPattern
    }

    /// Whether `identity` is this one; the reason when it is not.
    func mismatch(_ identity: FulcioIdentity) throws -> String? {
        // Bytes, not Swift's canonical equivalence: "é" and "e\u{301}" are different identities.
        guard identity.issuer.map({ Array($0.utf8) }) == Array(issuer.utf8) else { return "the certificate's OIDC issuer is \(identity.issuer ?? "absent"), not \(issuer)" }
        if let subject, Array(identity.subject.utf8) != Array(subject.utf8) { return "the certificate's identity is \(identity.subject), not \(subject)" }
        if let subjectPattern {
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(subjectPattern).matchingSemantics(.unicodeScalar) } catch {
                throw BullaError(.invalidArgument, "--certificate-identity-regexp \(subjectPattern) is not a regular expression: \(error)")
            }
            if (try? regex.wholeMatch(in: identity.subject)) == nil { return "the certificate's identity \(identity.subject) does not match \(subjectPattern)" }
        }
        return nil
    }
}

/// Verifies a Sigstore bundle (v0.1–v0.3) offline against a trusted root: the signature over the
/// artifact, the signer (a Fulcio or enterprise certificate valid at a verified time, with its
/// SCTs and identity, or a key the caller trusts), every transparency-log entry, and every RFC
/// 3161 timestamp (spec/signatures.md, "Keyless bundles").
public struct BundleVerifier: Sendable {
    /// Most RFC 3161 timestamps, and most log entries, one bundle may carry: each costs a full
    /// verification, and a real bundle has one or two.
    public static let maxEvidence = 32

    /// The trusted root: CAs, transparency and CT logs, timestamp authorities.
    public var root: TrustedRoot
    /// The present, for "not in the future" (tests fix it).
    public var now: Int

    /// A verifier trusting `root`.
    public init(root: TrustedRoot, now: Int = Timestamp.now) {
        self.root = root
        self.now = now
    }

    /// What a verified bundle proves.
    public struct Result: Sendable, Codable {
        /// The signer's identity, for a certificate.
        public var issuer: String?
        public var subject: String?
        /// The ID of the key that made the signature: the caller's, or the certificate's.
        public var keyID: String
        /// That key's algorithm.
        public var algorithm: KeyAlgorithm
        /// Each verified log entry.
        public var logEntries: [VerifiedLogEntry]
        /// The verified times the certificate was checked at (integration and timestamp times).
        public var verifiedTimes: [Int]
    }

    /// Verifies `bundleBytes` over the artifact whose SHA-256 is `digest`; `identity` for a
    /// certificate, or `key` for a bundle signed with a known key.
    public func verify(bundle bundleBytes: [UInt8], artifactDigest digest: Digest, identity: CertificateIdentity?, key: VerifyingKey?) throws -> Result {
        let bundle = try SigstoreBundle(bytes: bundleBytes)
        let document = try JSONValue(parsing: bundleBytes, what: "bundle")
        let material = document["verificationMaterial"]
        // The signature and what it signs.
        let content: RekorEntry.SignedContent
        let signature: [UInt8]
        switch bundle.content {
        case .messageSignature(let stated, let bytes):
            guard stated == digest else { throw fail("the bundle signs an artifact with digest \(stated), not \(digest)") }
            content = .messageSignature(digest: digest, signature: bytes)
            signature = bytes
        case .dsse(let envelope):
            guard let first = envelope.signatures.first, envelope.signatures.count == 1 else { throw fail("a bundle's DSSE envelope carries exactly one signature") }
            guard envelope.payloadType == InTotoStatement.payloadType else {
                throw fail("the DSSE envelope's payloadType is \(envelope.payloadType), not \(InTotoStatement.payloadType)")
            }
            let statement = try InTotoStatement(payload: envelope.payload)
            guard statement.names(digest) != nil else { throw fail("the in-toto statement's subjects do not include the artifact \(digest)") }
            content = .dsse(envelope)
            signature = first.signature
        }
        // Who signed: a certificate (leaf first), or the caller's key.
        let leafDER: [UInt8]
        let signerKey: VerifyingKey
        var leaf: Certificate?
        if let certificates = try Self.certificates(material) {
            guard let first = certificates.first else { throw fail("the bundle's certificate chain is empty") }
            guard identity != nil else { throw fail("the bundle is signed with a certificate: give the identity (--certificate-identity and --certificate-oidc-issuer)") }
            if certificates.contains(where: { $0.isCA && $0.subject == $0.issuer }) { throw fail("the bundle's certificate chain contains a root certificate") }
            leaf = first
            leafDER = first.derRepresentation
            signerKey = try first.publicKey
        } else {
            guard let key else { throw fail("the bundle is signed with a key, not a certificate: give --key") }
            leafDER = key.derRepresentation
            signerKey = key
        }
        try Self.checkSignature(content, signature: signature, key: signerKey)
        // Times: RFC 3161 timestamps over the signature, then the log's integration times.
        var times: [Int] = []
        let tokens = try Self.timestamps(material)
        guard tokens.count <= Self.maxEvidence, bundle.tlogEntries.count <= Self.maxEvidence else {
            throw BullaError(.limitExceeded, "the bundle carries \(tokens.count) timestamps and \(bundle.tlogEntries.count) log entries; at most \(Self.maxEvidence) of each are read")
        }
        for token in tokens {
            times.append(try root.verifiedTimestamp(try TimestampToken(derRepresentation: token), over: signature).time)
        }
        let entries = bundle.tlogEntries
        guard !entries.isEmpty else { throw fail("the bundle has no transparency-log entry") }
        var logged: [VerifiedLogEntry] = []
        for entry in entries {
            let parsed = try RekorEntry(json: entry)
            let verified = try parsed.verify(against: root, content: content, signer: leafDER, timestamp: times.first,
                                             requireInclusionProof: Self.requiresProof(bundle.mediaType), now: now)
            logged.append(verified)
            if let time = verified.integratedTime { times.append(time) }
        }
        var result = Result(keyID: signerKey.keyID, algorithm: signerKey.algorithm, logEntries: logged, verifiedTimes: times)
        guard let leaf, let identity else { return result }
        guard !times.isEmpty else { throw fail("no verified time to check the certificate at: the bundle has neither a signed entry timestamp nor an RFC 3161 timestamp") }
        for time in Set(times).sorted() {
            try verifyCertificate(leaf, at: time)
        }
        let found = try FulcioIdentity(certificate: leaf)
        if let reason = try identity.mismatch(found) { throw fail(reason) }
        result.issuer = found.issuer
        result.subject = found.subject
        return result
    }

    /// The certificate chains to a trusted CA valid at `time`, and one of its SCTs verifies
    /// against a trusted CT log.
    private func verifyCertificate(_ leaf: Certificate, at time: Int) throws {
        var reasons: [String] = []
        for authority in root.certificateAuthorities where authority.validFor.contains(time) {
            do {
                let certificates = try authority.certificates.map { try Certificate(derEncoded: $0) }
                guard let anchor = certificates.last else { continue }
                // Only the authority's own certificates: an intermediate the bundle supplies must
                // not revive one whose authority's window has ended.
                let chain = try CertificateChain.verify(leaf, roots: [anchor], intermediates: Array(certificates.dropLast()), at: Int64(time))
                // A CT log whose key Bulla cannot use (RSA) vouches for nothing: its SCTs do not count.
                let logs = root.ctlogs.compactMap { log in
                    (try? log.publicKey.verifyingKey()).map {
                        CTLogKey(key: $0, validFrom: Int64(log.publicKey.validFor.start), validUntil: log.publicKey.validFor.end.map { Int64($0) })
                    }
                }
                _ = try SignedCertificateTimestamp.verifyEmbedded(in: leaf, issuer: chain.count > 1 ? chain[1] : anchor, logs: logs)
                return
            } catch let error as BullaError {
                reasons.append("\(authority.name): \(error.message)")
            }
        }
        if reasons.isEmpty { reasons = ["no certificate authority of the trusted root was valid then"] }
        throw fail("the certificate is not valid at \(Timestamp.rfc3339(time)): " + reasons.joined(separator: "; "))
    }

    private static func checkSignature(_ content: RekorEntry.SignedContent, signature: [UInt8], key: VerifyingKey) throws {
        switch content {
        case .messageSignature(let digest, _):
            guard key.isValidSignature(signature, forDigest: digest) else { throw fail("the signature does not verify over the artifact with the signer's key") }
        case .dsse(let envelope):
            guard !envelope.signatures(verifiedBy: key).isEmpty else { throw fail("the DSSE envelope's signature does not verify with the signer's key") }
        }
    }

    /// The bundle's certificates, leaf first: `certificate` (v0.3) or `x509CertificateChain`;
    /// nil when the bundle carries a public key instead.
    private static func certificates(_ material: JSONValue?) throws -> [Certificate]? {
        if let single = material?["certificate"] {
            return [try Certificate(derEncoded: try bytes(single["rawBytes"], "certificate.rawBytes"))]
        }
        guard let chain = material?["x509CertificateChain"] else { return nil }
        guard case .array(let items)? = chain["certificates"] else { return [] }
        return try items.map { try Certificate(derEncoded: try bytes($0["rawBytes"], "x509CertificateChain.certificates[].rawBytes")) }
    }

    /// The DER RFC 3161 timestamps in `timestampVerificationData`.
    private static func timestamps(_ material: JSONValue?) throws -> [[UInt8]] {
        guard case .array(let items)? = material?["timestampVerificationData"]?["rfc3161Timestamps"] else { return [] }
        return try items.map { try bytes($0["signedTimestamp"], "rfc3161Timestamps[].signedTimestamp") }
    }

    /// Protobuf `bytes`: base64 (line breaks allowed, as protobuf JSON readers allow them), at
    /// most 64 KiB decoded.
    private static func bytes(_ value: JSONValue?, _ field: String) throws -> [UInt8] {
        guard let object = value else { throw fail("\(field) is missing") }
        return try ProtoJSONObject(.object([("value", object)]), field).bytes("value", max: 64 << 10)
    }

    /// Bundles from v0.2 on must carry an inclusion proof; v0.1 may carry only a promise.
    private static func requiresProof(_ mediaType: String) -> Bool {
        !mediaType.hasSuffix("version=0.1")
    }

    private static func fail(_ reason: String) -> BullaError { BullaError(.signatureInvalid, reason) }
    private func fail(_ reason: String) -> BullaError { Self.fail(reason) }
}
