import BullaCrypto

/// Verifies a Sigstore signature (a bundle v0.1–v0.3, or a legacy cosign layer's annotations)
/// offline against a trusted root: the signature over the artifact, the signer (a Fulcio
/// certificate valid at a verified time with its SCTs and identity, a certificate from an
/// enterprise CA, or a key the caller trusts), every transparency-log entry, and every RFC 3161
/// timestamp (spec/signatures.md, "Keyless bundles").
public struct BundleVerifier: Sendable {
    /// Most RFC 3161 timestamps, and most log entries, one bundle may carry: each costs a full
    /// verification, and a real bundle has one or two.
    public static let maxEvidence = 32

    /// How certificates are trusted: Sigstore's rules, or an enterprise CA's.
    public enum Authority: Sendable, Hashable {
        /// Fulcio certificates: a transparency-log entry, an SCT, and the certificate valid at
        /// the log's (or a timestamp's) verified time; the identity from Fulcio's extensions.
        case sigstore
        /// An organisation's own CA: the chain verified now (or at a verified timestamp), no SCT
        /// or Rekor entry required; the bundle's intermediates may help build the chain.
        case enterprise
    }

    /// The trusted root: CAs, transparency and CT logs, timestamp authorities.
    public var root: TrustedRoot
    /// Sigstore or enterprise rules for the root's certificate authorities.
    public var authority: Authority
    /// The present, for "not in the future" and for enterprise certificates (tests fix it).
    public var now: Int

    /// A verifier trusting `root` under `authority`'s rules.
    public init(root: TrustedRoot, authority: Authority = .sigstore, now: Int = Timestamp.now) {
        self.root = root
        self.authority = authority
        self.now = now
    }

    /// What a verified signature proves.
    public struct Result: Sendable, Codable {
        /// Who the certificate says signed; nil for a signature by a bare key.
        public var identity: SignerIdentity?
        /// The ID of the key that made the signature: the caller's, or the certificate's.
        public var keyID: String
        /// That key's algorithm.
        public var algorithm: KeyAlgorithm
        /// Each verified log entry.
        public var logEntries: [VerifiedLogEntry]
        /// The verified times the certificate was checked at (integration and timestamp times).
        public var verifiedTimes: [Int]

        /// The OIDC issuer of a Fulcio certificate.
        public var issuer: String? { identity?.issuer }
        /// The identity of a certificate.
        public var subject: String? { identity?.subject }
    }

    /// Verifies `bundleBytes` over the artifact whose SHA-256 is `digest`; `identity` for a
    /// certificate, or `key` for a bundle signed with a known key.
    public func verify(bundle bundleBytes: [UInt8], artifactDigest digest: Digest, identity: CertificateIdentity?, key: VerifyingKey?) throws -> Result {
        let bundle = try SigstoreBundle(bytes: bundleBytes)
        let evidence = try SigstoreEvidence(bundle: bundle)
        switch evidence.content {
        case .messageSignature(let stated, _):
            guard stated == digest else { throw fail("the bundle signs an artifact with digest \(stated), not \(digest)") }
        case .dsse(let envelope):
            guard envelope.payloadType == InTotoStatement.payloadType else {
                throw fail("the DSSE envelope's payloadType is \(envelope.payloadType), not \(InTotoStatement.payloadType)")
            }
            let statement = try InTotoStatement(payload: envelope.payload)
            guard statement.names(digest) != nil else { throw fail("the in-toto statement's subjects do not include the artifact \(digest)") }
        }
        if authority == .sigstore, evidence.certificates != nil, identity == nil {
            throw fail("the bundle is signed with a certificate: give the identity (--certificate-identity and --certificate-oidc-issuer)")
        }
        return try verify(evidence, identities: identity.map { [$0] } ?? [], key: key)
    }

    /// Verifies `evidence`: the signature by its certificate (whose identity must be one of
    /// `identities` under Sigstore rules) or by `key`, its timestamps and log entries.
    public func verify(_ evidence: SigstoreEvidence, identities: [CertificateIdentity], key: VerifyingKey?) throws -> Result {
        // Who signed: a certificate (leaf first), or the caller's key.
        let signerDER: [UInt8]
        let signerKey: VerifyingKey
        var leaf: Certificate?
        if let certificates = evidence.certificates {
            guard let first = certificates.first else { throw fail("the bundle's certificate chain is empty") }
            if authority == .sigstore, certificates.contains(where: { $0.isCA && $0.subject == $0.issuer }) {
                throw fail("the bundle's certificate chain contains a root certificate")
            }
            // A certificate for nobody trusted is refused before its evidence costs anything:
            // the full identity check still runs after the chain verifies.
            if authority == .sigstore, !identities.isEmpty, let claimed = try? FulcioIdentity(certificate: first),
               identities.allSatisfy({ $0.mismatch(claimed) != nil }) {
                throw fail(Self.noTrustedIdentity(claimed, identities))
            }
            leaf = first
            signerDER = first.derRepresentation
            signerKey = try first.publicKey
        } else {
            guard let key else { throw fail("the bundle is signed with a key, not a certificate: give --key") }
            signerDER = key.derRepresentation
            signerKey = key
        }
        try Self.checkSignature(evidence, key: signerKey)
        guard evidence.timestamps.count <= Self.maxEvidence, evidence.tlogEntries.count <= Self.maxEvidence else {
            throw BullaError(.limitExceeded, "the bundle carries \(evidence.timestamps.count) timestamps and \(evidence.tlogEntries.count) log entries; at most \(Self.maxEvidence) of each are read")
        }
        // Times: RFC 3161 timestamps over the signature, then the log's integration times.
        var times: [Int] = []
        // The same timestamp or entry given twice proves nothing more: each is checked once.
        var seenTokens: Set<[UInt8]> = []
        var seenEntries: Set<[UInt8]> = []
        for token in evidence.timestamps where (authority == .sigstore || !root.timestampAuthorities.isEmpty) && seenTokens.insert(token).inserted {
            times.append(try root.verifiedTimestamp(try TimestampToken(derRepresentation: token), over: evidence.signature).time)
        }
        var logged: [VerifiedLogEntry] = []
        if authority == .sigstore {
            guard !evidence.tlogEntries.isEmpty else { throw fail("the bundle has no transparency-log entry") }
            for entry in evidence.tlogEntries where seenEntries.insert(entry.serialized).inserted {
                let verified = try RekorEntry(json: entry).verify(against: root, content: evidence.content, signer: signerDER, timestamp: times.first,
                                                                  requireInclusionProof: evidence.requiresInclusionProof, now: now)
                logged.append(verified)
                if let time = verified.integratedTime { times.append(time) }
            }
        }
        var result = Result(keyID: signerKey.keyID, algorithm: signerKey.algorithm, logEntries: logged, verifiedTimes: times)
        guard let leaf, let certificates = evidence.certificates else { return result }
        switch authority {
        case .sigstore:
            guard !times.isEmpty else { throw fail("no verified time to check the certificate at: the bundle has neither a signed entry timestamp nor an RFC 3161 timestamp") }
            for time in Set(times).sorted() { try verifySigstoreCertificate(leaf, at: time) }
            let found = try FulcioIdentity(certificate: leaf)
            let identity = SignerIdentity(issuer: found.issuer, subject: found.subject, claims: found.claims)
            guard !identities.isEmpty else { throw fail("the signature is by a certificate for \(identity), and no identity is trusted") }
            if identities.allSatisfy({ $0.mismatch(found) != nil }) { throw fail(Self.noTrustedIdentity(found, identities)) }
            result.identity = identity
        case .enterprise:
            let at = times.isEmpty ? [now] : Set(times).sorted()
            for time in at { try verifyEnterpriseCertificate(leaf, supplied: Array(certificates.dropFirst()), at: time) }
            let fulcio = try? FulcioIdentity(certificate: leaf)
            result.identity = SignerIdentity(issuer: nil, subject: fulcio?.subject ?? leaf.subject)
            result.verifiedTimes = at
        }
        return result
    }

    /// The certificate chains to a Sigstore CA of the root valid at `time` (only the root's own
    /// intermediates: one the bundle supplies must not revive an authority whose window ended),
    /// and one of its SCTs verifies against a trusted CT log.
    private func verifySigstoreCertificate(_ leaf: Certificate, at time: Int) throws {
        var reasons: [String] = []
        for authority in root.certificateAuthorities where authority.validFor.contains(time) {
            do {
                let certificates = try authority.certificates.map { try Certificate(derEncoded: $0) }
                guard let anchor = certificates.last else { continue }
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

    /// The certificate chains, at `time`, to a root certificate of an enterprise authority,
    /// through that authority's intermediates and those the signer supplied.
    private func verifyEnterpriseCertificate(_ leaf: Certificate, supplied: [Certificate], at time: Int) throws {
        var reasons: [String] = []
        for authority in root.certificateAuthorities where authority.validFor.contains(time) {
            do {
                let certificates = try authority.certificates.map { try Certificate(derEncoded: $0) }
                guard let anchor = certificates.last else { continue }
                _ = try CertificateChain.verify(leaf, roots: [anchor], intermediates: Array(certificates.dropLast()) + supplied, at: Int64(time))
                return
            } catch let error as BullaError {
                reasons.append("\(authority.name): \(error.message)")
            }
        }
        if reasons.isEmpty { reasons = ["no trusted certificate authority"] }
        throw fail("the certificate for \((try? FulcioIdentity(certificate: leaf))?.subject ?? leaf.subject) does not chain to a trusted CA at \(Timestamp.rfc3339(time)): " + reasons.joined(separator: "; "))
    }

    /// Why a certificate's identity is not trusted: who it names, and each rule's mismatch.
    private static func noTrustedIdentity(_ found: FulcioIdentity, _ identities: [CertificateIdentity]) -> String {
        let identity = SignerIdentity(issuer: found.issuer, subject: found.subject)
        let reasons = identities.map { "\($0.summary): \($0.mismatch(found) ?? "")" }
        return "the certificate is for \(identity), which no trusted identity allows (\(reasons.joined(separator: "; ")))"
    }

    private static func checkSignature(_ evidence: SigstoreEvidence, key: VerifyingKey) throws {
        if let message = evidence.message {
            guard key.isValidSignature(evidence.signature, for: message) else { throw fail("the signature does not verify over the payload with the signer's key") }
            return
        }
        switch evidence.content {
        case .messageSignature(let digest, let signature):
            guard key.isValidSignature(signature, forDigest: digest) else { throw fail("the signature does not verify over the artifact with the signer's key") }
        case .dsse(let envelope):
            guard !envelope.signatures(verifiedBy: key).isEmpty else { throw fail("the DSSE envelope's signature does not verify with the signer's key") }
        }
    }

    private static func fail(_ reason: String) -> BullaError { BullaError(.signatureInvalid, reason) }
    private func fail(_ reason: String) -> BullaError { Self.fail(reason) }
}
