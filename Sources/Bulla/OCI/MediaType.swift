/// Media types Bulla recognises (image-spec media-types.md; Docker's registry v2 types).
public enum MediaType {
    /// The OCI image manifest, which Bulla writes for every signature and attestation it stores.
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// The OCI index: multi-platform images, `index.json` and the referrers fallback tag.
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// An OCI image config, as Bulla writes for legacy `.sig` manifests.
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// An uncompressed OCI layer.
    public static let ociLayerTar = "application/vnd.oci.image.layer.v1.tar"
    /// A gzip-compressed OCI layer, the most common kind.
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// A zstd-compressed OCI layer.
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// The empty `{}` blob, the config of every bundle referrer Bulla writes (image-spec manifest.md).
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    /// Docker's schema 2 image manifest, read like an OCI one (same shape).
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker's manifest list, read like an OCI index.
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker's image config, which a docker archive's derived manifest names.
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// Docker's gzip layer type, used in a docker archive's derived manifest.
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// Docker schema 1, refused by name: it has no stable digest to sign.
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    /// Signed Docker schema 1, refused by name like the unsigned form.
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// What a document of this media type is, for the types whose structure Bulla must follow.
    public static func kind(of mediaType: String) -> ManifestKind? {
        switch mediaType {
        case ociManifest, dockerManifest: .image
        case ociIndex, dockerManifestList: .index
        default: nil
        }
    }
}

/// The two shapes of manifest document.
public enum ManifestKind: String, Sendable, Codable {
    /// A single image (or artifact): config plus layers.
    case image
    /// A list of manifests (multi-platform image, or any set of artifacts).
    case index
}
