import BullaCrypto

/// One signature's outcome.
public struct SignatureCheck: Codable, Sendable {
    /// Where the signature was (`referrer…`, `tag …sig layer N`, `bundle FILE`), so a user can find it.
    public var origin: String
    /// `bundle` or `legacy`; nil for a signature that could not be read.
    public var format: SignatureFormat?
    /// The key that verified it, when one did: a trusted key, or the certificate's key.
    public var keyID: String?
    /// For a certificate: who it says signed, once verified (issuer nil for an enterprise CA's).
    public var identity: SignerIdentity?
    /// The Sigstore transparency-log entries that verified for it.
    public var logEntries: [VerifiedLogEntry]?
    /// Whether it counts toward the threshold.
    public var counted: Bool
    /// Whether it verified, counted or not (a second signature by a key already counted).
    public var verified = false
    /// Why it counted or not, in words (spec/signatures.md, "Checks, in order").
    public var reason: String
    /// For a verified attestation: its predicate type and predicate.
    public var predicateType: String?
    /// The signed predicate of a verified attestation, what policies and `verify-attestation` read.
    public var predicate: RawJSON?

    /// Who the check counts as toward a threshold: a Sigstore identity (however many ephemeral
    /// keys it signed with), else the key; nil when nothing verified.
    public var countedAs: String? {
        if let identity, let issuer = identity.issuer { return "identity \(issuer)\n\(identity.subject)" }
        return keyID.map { "key \($0)" }
    }

    /// A check's outcome; the verifier fills in the attestation fields when they apply.
    public init(origin: String, format: SignatureFormat?, keyID: String?, counted: Bool, reason: String) {
        self.origin = origin
        self.format = format
        self.keyID = keyID
        self.counted = counted
        self.reason = reason
    }
}

/// The versioned result of `bulla verify --output json` (spec/signatures.md).
public struct VerificationResult: Codable, Sendable {
    /// The result's versioned media type; a change that breaks readers gets a new version.
    public static let mediaType = "application/vnd.bulla.verification.v1+json"
    /// Always ``mediaType``, so a reader can check the version first.
    public var mediaType = VerificationResult.mediaType
    /// The image reference as printed (spec/image-references.md, "Parsing").
    public var reference: String
    /// The manifest digest every signature had to name.
    public var digest: Digest
    /// True exactly when enough distinct trusted keys and identities counted: the answer exit codes follow.
    public var verified: Bool
    /// How many distinct trusted keys had to count (`--threshold`).
    public var threshold: Int
    /// Full key IDs of the trusted (or CA-certified) keys with a counted signature, sorted.
    public var trustedKeysSatisfied: [String]
    /// The Sigstore identities with a counted signature, in the order found.
    public var identitiesSatisfied: [SignerIdentity] = []

    /// How many distinct signers counted toward the threshold: keys and identities.
    public var signersSatisfied: Int { trustedKeysSatisfied.count + identitiesSatisfied.count }
    /// One check per signature: unreadable ones first, then the rest in the order found.
    public var signatures: [SignatureCheck]
    /// Where signatures were looked for, in words (referrers, tags, bundle files): what a
    /// failure with nothing found points the user to.
    public var searched: [String] = []

    /// A result from its parts, as ``ImageVerifier/verify(_:reference:signatures:unreadable:)`` makes it.
    public init(reference: String, digest: Digest, verified: Bool, threshold: Int, trustedKeysSatisfied: [String], signatures: [SignatureCheck]) {
        self.reference = reference
        self.digest = digest
        self.verified = verified
        self.threshold = threshold
        self.trustedKeysSatisfied = trustedKeysSatisfied
        self.signatures = signatures
    }
}
