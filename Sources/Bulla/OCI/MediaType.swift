/// Media types Bulla recognises (image-spec media-types.md; Docker's registry v2 types).
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
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
