import BullaCrypto

/// An image manifest: OCI (image-spec manifest.md) or Docker schema 2, which share this shape.
public struct ImageManifest: Codable, Hashable, Sendable {
    /// Always 2 for the manifests Bulla reads; anything else is refused.
    public var schemaVersion: Int
    /// The manifest's own media type, which must agree with its descriptor's when present.
    public var mediaType: String?
    /// What the artifact is when the manifest is not a runnable image (a bundle, an SBOM).
    public var artifactType: String?
    /// The image's configuration blob (or an empty one for artifacts).
    public var config: Descriptor
    /// The filesystem layers in order, or an artifact's blobs (a signature bundle, a `.sig` payload).
    public var layers: [Descriptor]
    /// The manifest this one refers to (OCI 1.1 referrers: signatures, attestations).
    public var subject: Descriptor?
    /// Metadata on the manifest (a bundle referrer's say its content and predicate type), shown by `inspect`.
    public var annotations: [String: String]?
}

/// An image index: OCI (image-spec image-index.md) or Docker manifest list.
public struct ImageIndex: Codable, Hashable, Sendable {
    /// Always 2 for the indexes Bulla reads; anything else is refused.
    public var schemaVersion: Int
    /// The index's own media type, which must agree with its descriptor's when present.
    public var mediaType: String?
    /// What the artifact is when the index is one (rare; shown by `inspect`).
    public var artifactType: String?
    /// The child manifests: per-platform images, or the referrers a fallback tag lists.
    public var manifests: [Descriptor]
    /// The manifest this index refers to, when the index is itself a referrer.
    public var subject: Descriptor?
    /// Metadata on the index, shown by `inspect`.
    public var annotations: [String: String]?

    /// A new index listing `manifests`, OCI by default, for building an index in code.
    public init(schemaVersion: Int = 2, mediaType: String? = MediaType.ociIndex, manifests: [Descriptor]) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
    }
}
