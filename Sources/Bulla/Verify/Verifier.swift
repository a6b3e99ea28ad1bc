import BullaCrypto

/// The image a verification is about: where it is read from, the manifest digest every
/// signature must name, and the name policies match.
public struct ImageSubject: Sendable {
    /// Where the image, and what is stored beside it, is read from.
    public let source: any ImageSource
    /// The manifest digest resolved from the reference: what signatures must name.
    public let digest: Digest
    /// What policy globs are matched against (``ImageReference/policyName``).
    public let name: String

    /// A subject already resolved; `name` defaults to the source's ``ImageReference/policyName``.
    public init(source: any ImageSource, digest: Digest, name: String? = nil) {
        self.source = source
        self.digest = digest
        self.name = name ?? source.reference.policyName
    }
}

/// The one path from an image or a file to a typed answer: open, find the evidence, verify it
/// against a ``TrustPolicy``, judge it by a ``Policy``. `bulla verify`, `verify-attestation`,
/// `verify-blob`, `policy check`, `policy test` and the admission webhook all go through it.
///
/// ```swift
/// let verifier = Verifier(opener: RegistryImages(options: RegistryOptions()))
/// let image = try verifier.subject(try ImageReference(parsing: "registry.example/app:1.0"))
/// let result = try verifier.verify(image, trust: TrustPolicy(keys: [key]))
/// ```
public struct Verifier: Sendable {
    /// How references are opened: local only, or registries too (BullaRegistry's `RegistryImages`).
    public let opener: any ImageOpener
    /// Bounds on everything read from the image and its evidence (spec/limits.md).
    public let limits: Limits

    /// A verifier opening images with `opener` under `limits`; the defaults read layouts and archives.
    public init(opener: any ImageOpener = LocalImages(), limits: Limits = .default) {
        self.opener = opener
        self.limits = limits
    }

    /// Opens `reference` and resolves it (an index by `platform`) to the manifest it names.
    public func subject(_ reference: ImageReference, platform: Platform? = nil, progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> ImageSubject {
        let source = try opener.open(reference, limits: limits, progress: progress)
        return ImageSubject(source: source, digest: try source.resolve(platform: platform).digest)
    }

    /// The evidence for `image`: the detached bundle files when any are given, else what is
    /// stored with the image of the kinds asked.
    public func evidence(for image: ImageSubject, bundles: [String] = [], kinds: [SignatureFinder.Kind] = [.signatures, .attestations]) throws -> FoundEvidence {
        guard bundles.isEmpty else {
            let limit = kinds.contains(.attestations) ? limits.maxAttestationBytes : Self.maxSignatureBundleBytes
            return try FoundEvidence(for: image.digest, reference: image.source.reference.description, bundlesAt: bundles, limit: limit)
        }
        return try FoundEvidence(for: image.digest, in: image.source, kinds: kinds)
    }

    /// The largest detached signature bundle read: a signature bundle is a few kilobytes.
    public static let maxSignatureBundleBytes = 1 << 20

    /// `bulla verify`: the image's signatures against `trust`, each with why it counts or not.
    public func verify(_ image: ImageSubject, trust: TrustPolicy, bundles: [String] = []) throws -> VerificationResult {
        try evidence(for: image, bundles: bundles, kinds: [.signatures]).signatures(trustedBy: trust)
    }

    /// `bulla verify-attestation`: the image's attestations of `type` against `trust` and,
    /// when a policy is given, that policy's rules for the type applied to the same
    /// attestations with each rule's own keys.
    public func verify(attestationsOf type: PredicateType, _ image: ImageSubject, trust: TrustPolicy, bundles: [String] = [], policy: Policy? = nil) throws -> AttestationReport {
        let evidence = try evidence(for: image, bundles: bundles, kinds: [.attestations])
        let verification = try evidence.attestations(of: type, trustedBy: trust)
        let decision = policy.map {
            PolicyEvaluator(policy: $0).decide(attestationsOf: type, reference: image.name, digest: image.digest, evidence: evidence)
        }
        return AttestationReport(verification: verification, policy: decision)
    }

    /// `bulla policy check` and the webhook: may `image` run under `policy`, for a pod in
    /// `namespace`, and every reason.
    public func decide(_ image: ImageSubject, policy: Policy, namespace: String? = nil, now: Int = Timestamp.now) throws -> PolicyDecision {
        let evaluator = PolicyEvaluator(policy: policy, now: now)
        if let decision = evaluator.unmatchedDecision(reference: image.name, namespace: namespace, digest: image.digest) { return decision }
        return evaluator.decide(reference: image.name, namespace: namespace, digest: image.digest, evidence: try evidence(for: image))
    }

    /// `bulla policy test`: the predicate file at `path` judged by the age and content rules
    /// `policy` has for `type` on `reference`; nothing is signed, so trust is reported as not
    /// checked.
    public func test(predicateAt path: String, as type: PredicateType, reference: String, policy: Policy, now: Int = Timestamp.now) throws -> PolicyDecision {
        let predicate = try JSONDocument.decodePredicate(try KeyFile.read(path, limit: limits.maxAttestationBytes), what: path)
        return PolicyEvaluator(policy: policy, now: now).test(predicate: predicate, as: type, reference: reference, origin: path)
    }
}

/// `verify-attestation`'s answer: the verification, and the policy's decision when one was
/// given (`application/vnd.bulla.attestation-report.v1+json` with a policy).
public struct AttestationReport: Codable, Sendable {
    /// The report's versioned media type, so a reader can check the version first.
    public var mediaType = "application/vnd.bulla.attestation-report.v1+json"
    /// Which attestations were found and which counted, as for `verify`.
    public var verification: VerificationResult
    /// The policy's decision over the verified attestations; nil when no policy was given.
    public var policy: PolicyDecision?

    /// A report of `verification`, with the `policy` decision when one was asked for.
    public init(verification: VerificationResult, policy: PolicyDecision?) {
        self.verification = verification
        self.policy = policy
    }
}
