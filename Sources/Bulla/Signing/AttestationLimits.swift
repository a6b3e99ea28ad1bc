/// Bounds for attestations, which carry whole SBOMs.
public enum AttestationLimits {
    /// Largest predicate (and so bundle) read: SBOMs of large images run to tens of megabytes.
    public static let maxPredicateBytes = Limits.default.maxAttestationBytes
}
