import BullaCrypto

/// A predicate taken as attested by trusted keys, for trying policies on files (`bulla policy
/// test`): every rule's trust is taken as met, and only its age and content rules are applied.
public struct AssumedEvidence: PolicyEvidence {
    public var predicate: RawJSON
    public var reference: String
    public var origin: String

    public init(predicate: RawJSON, reference: String, origin: String) {
        self.predicate = predicate
        self.reference = reference
        self.origin = origin
    }

    public func signatures(trustedBy trust: TrustPolicy) -> VerificationResult {
        VerificationResult(reference: reference, digest: Digest.compute(over: []), verified: false, threshold: trust.threshold, trustedKeysSatisfied: [], signatures: [])
    }

    public func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) -> VerificationResult {
        .assumed(predicate, of: type, reference: reference, origin: origin)
    }
}

extension VerificationResult {
    /// A result that takes `predicate` as attested by a trusted key, for trying policies on
    /// files (`bulla policy test`) and in tests; never the outcome of a verification.
    public static func assumed(_ predicate: RawJSON, of type: PredicateType, reference: String, origin: String) -> VerificationResult {
        var check = SignatureCheck(origin: origin, format: nil, keyID: "assumed", counted: true, reason: "assumed, not verified")
        check.verified = true
        check.predicateType = type.uri
        check.predicate = predicate
        let unknown = try! Digest(algorithm: .sha256, bytes: [UInt8](repeating: 0, count: 32))
        return VerificationResult(reference: reference, digest: unknown, verified: true, threshold: 1, trustedKeysSatisfied: ["assumed"], signatures: [check])
    }
}
