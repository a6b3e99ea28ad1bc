import BullaCrypto

/// Where cosign keeps what is signed beside an image, shared by the code that writes it
/// (Signing), reads it (Verify) and copies it (Copy), so none reaches into another for names.
public enum CosignStorage {
    /// The referrer annotation that says what a bundle holds (`dsse-envelope`).
    public static let referrerAnnotationContent = "dev.sigstore.bundle.content"
    /// The referrer annotation naming the predicate type a bundle's statement carries.
    public static let referrerAnnotationPredicate = "dev.sigstore.bundle.predicateType"
    /// The media type of a legacy attestation layer.
    public static let dsseLayerMediaType = "application/vnd.dsse.envelope.v1+json"

    /// cosign's tag for what it stores beside an image: `sha256-<hex>` plus `.sig` or `.att`,
    /// or with no suffix, the referrers fallback tag.
    public static func tag(for digest: Digest, suffix: String) -> String {
        "\(digest.algorithm.rawValue)-\(digest.hex)\(suffix)"
    }
}
