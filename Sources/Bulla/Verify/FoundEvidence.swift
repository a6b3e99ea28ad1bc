import BullaCrypto

/// The signed statements an image has, verified on demand against each rule's keys: rules
/// trust different keys, so verification is asked per rule rather than done once.
public protocol PolicyEvidence {
    func signatures(trustedBy trust: TrustPolicy) -> VerificationResult
    func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) -> VerificationResult
}

/// Evidence gathered from an image source (referrers, fallback tags, `.sig`/`.att`) and from
/// detached bundles.
public struct FoundEvidence: PolicyEvidence, Sendable {
    public var digest: Digest
    public var reference: String
    public var signatures: [FoundSignature]
    public var attestations: [FoundSignature]
    public var unreadable: [(origin: String, reason: String)]

    public init(digest: Digest, reference: String, signatures: [FoundSignature], attestations: [FoundSignature], unreadable: [(origin: String, reason: String)] = []) {
        self.digest = digest
        self.reference = reference
        self.signatures = signatures
        self.attestations = attestations
        self.unreadable = unreadable
    }

    /// Everything `source` holds for `digest`.
    public init(for digest: Digest, in source: any ImageSource) throws {
        let signed = try SignatureFinder(source: source, kind: .signatures).signatures(for: digest)
        let attested = try SignatureFinder(source: source, kind: .attestations).signatures(for: digest)
        self.init(digest: digest, reference: source.reference.description, signatures: signed.found, attestations: attested.found,
                  unreadable: signed.unreadable + attested.unreadable)
    }

    public func signatures(trustedBy trust: TrustPolicy) -> VerificationResult {
        verify(signatures, trust: trust, expecting: .signature)
    }

    public func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) -> VerificationResult {
        verify(attestations, trust: trust, expecting: .attestation(type))
    }

    private func verify(_ found: [FoundSignature], trust: TrustPolicy, expecting: ImageVerifier.Expectation) -> VerificationResult {
        do {
            return try ImageVerifier(trust: trust, expecting: expecting).verify(digest, reference: reference, signatures: found, unreadable: unreadable)
        } catch {
            // The policy loader refuses unmeetable thresholds; this is the last guard.
            return VerificationResult(reference: reference, digest: digest, verified: false, threshold: trust.threshold, trustedKeysSatisfied: [], signatures: [])
        }
    }
}
