/// The signed statements an image has, verified on demand against each rule's keys: rules
/// trust different keys, so verification is asked per rule rather than done once. A policy
/// judges only what these verify; an error is a failed requirement, never an empty success.
public protocol PolicyEvidence {
    /// The image's signatures checked against `trust`.
    func signatures(trustedBy trust: TrustPolicy) throws -> VerificationResult
    /// The image's attestations of `type` checked against `trust`.
    func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) throws -> VerificationResult
}
