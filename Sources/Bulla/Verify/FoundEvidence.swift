import BullaCrypto

/// What an image has for one manifest digest, found but not yet verified: its signatures and
/// attestations (stored with it, or given as detached bundles) and what could not be read.
public struct FoundEvidence: PolicyEvidence, Sendable {
    /// The manifest digest every signature and attestation must name as its subject.
    public var digest: Digest
    /// The image as printed, carried into the verification results.
    public var reference: String
    /// Signatures found for the image (or every detached bundle), not yet verified.
    public var signatures: [FoundSignature]
    /// Attestations found for the image (or every detached bundle), not yet verified.
    public var attestations: [FoundSignature]
    /// Evidence that was there but could not be read, each with where and why.
    public var unreadable: [(origin: String, reason: String)]
    /// Where signatures were looked for, in words, for a report of what was not found.
    public var searched: [SignatureFinder.Kind: [String]] = [:]

    /// Evidence gathered elsewhere (tests, a caller's own finder), verified like found evidence.
    public init(digest: Digest, reference: String, signatures: [FoundSignature], attestations: [FoundSignature], unreadable: [(origin: String, reason: String)] = []) {
        self.digest = digest
        self.reference = reference
        self.signatures = signatures
        self.attestations = attestations
        self.unreadable = unreadable
    }

    /// What `source` stores for `digest` of each kind asked (referrers, fallback tags,
    /// `.sig`/`.att`).
    public init(for digest: Digest, in source: any ImageSource, kinds: [SignatureFinder.Kind] = [.signatures, .attestations]) throws {
        var found: [SignatureFinder.Kind: [FoundSignature]] = [:]
        var unreadable: [(origin: String, reason: String)] = []
        for kind in kinds {
            let (signatures, failures) = try SignatureFinder(source: source, kind: kind).signatures(for: digest)
            found[kind] = signatures
            unreadable += failures
        }
        self.init(digest: digest, reference: source.reference.description, signatures: found[.signatures] ?? [],
                  attestations: found[.attestations] ?? [], unreadable: unreadable)
        for kind in kinds { searched[kind] = SignatureFinder(source: source, kind: kind).places(for: digest) }
    }

    /// Detached bundle files instead of what is stored with the image: each may hold a
    /// signature or an attestation, and the verification tells which. A file that cannot be
    /// read is malformed input, as for any file given.
    public init(for digest: Digest, reference: String, bundlesAt paths: [String], limit: Int) throws {
        let found = try paths.map { path in
            FoundSignature(origin: "bundle \(path)", format: .bundle, content: .bundle(try SigstoreBundle(bytes: try KeyFile.read(path, limit: limit))))
        }
        self.init(digest: digest, reference: reference, signatures: found, attestations: found)
        let files = paths.map { "bundle \($0)" }
        searched = [.signatures: files, .attestations: files]
    }

    /// Verifies the signatures under `trust`; unreadable evidence is reported, never skipped.
    public func signatures(trustedBy trust: TrustPolicy) throws -> VerificationResult {
        var result = try ImageVerifier(trust: trust, expecting: .signature).verify(digest, reference: reference, signatures: signatures, unreadable: unreadable)
        result.searched = searched[.signatures] ?? []
        return result
    }

    /// Verifies the attestations of `type` under `trust`; other types do not count.
    public func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) throws -> VerificationResult {
        var result = try ImageVerifier(trust: trust, expecting: .attestation(type)).verify(digest, reference: reference, signatures: attestations, unreadable: unreadable)
        result.searched = searched[.attestations] ?? []
        return result
    }
}
