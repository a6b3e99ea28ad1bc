import BullaCrypto

/// A manifest or index together with the exact bytes it was read from.
///
/// The digest of an image is the digest of these bytes as stored; Bulla never re-serialises a
/// manifest it digests, so the parsed form is for reading fields only.
public struct ManifestDocument: Sendable {
    /// The descriptor of `bytes`: its digest and size are those of `bytes`.
    public let descriptor: Descriptor
    /// The exact bytes read, which the digest is over and which a copy stores unchanged.
    public let bytes: [UInt8]
    /// The parsed document, for reading fields only (never re-serialised).
    public let content: Content

    /// An image manifest or an index: what a walk must follow next.
    public enum Content: Sendable {
        case image(ImageManifest)
        case index(ImageIndex)
    }

    /// The digest of `bytes`: the image's identity, which signatures name.
    public var digest: Digest { descriptor.digest }
    /// Whether this is an image or an index, without unwrapping `content`.
    public var kind: ManifestKind {
        switch content {
        case .image: .image
        case .index: .index
        }
    }

    /// Parses `bytes`, which must already be checked against `descriptor` (digest and size).
    ///
    /// Refuses a media type Bulla cannot follow, a `mediaType` field that contradicts the
    /// descriptor, a `schemaVersion` other than 2 and any malformed descriptor inside.
    public init(bytes: [UInt8], descriptor: Descriptor, limits: Limits = .default) throws {
        let what = "manifest \(descriptor.digest.abbreviated)"
        guard let kind = MediaType.kind(of: descriptor.mediaType) else {
            if descriptor.mediaType == MediaType.dockerSchema1 || descriptor.mediaType == MediaType.dockerSchema1Signed {
                throw BullaError(.unsupported, "\(what) is Docker schema 1 (\(descriptor.mediaType)), which has no stable digest; convert it with skopeo copy")
            }
            throw BullaError(.unsupported, "\(what) has media type \"\(descriptor.mediaType)\", which is not an image manifest or index")
        }
        switch kind {
        case .image:
            let manifest = try JSONDocument.decode(ImageManifest.self, from: bytes, what: what, limits: limits)
            try Self.checkHeader(schemaVersion: manifest.schemaVersion, mediaType: manifest.mediaType, descriptor: descriptor, what: what)
            content = .image(manifest)
        case .index:
            let index = try JSONDocument.decode(ImageIndex.self, from: bytes, what: what, limits: limits)
            try Self.checkHeader(schemaVersion: index.schemaVersion, mediaType: index.mediaType, descriptor: descriptor, what: what)
            content = .index(index)
        }
        self.bytes = bytes
        self.descriptor = descriptor
    }

    private static func checkHeader(schemaVersion: Int, mediaType: String?, descriptor: Descriptor, what: String) throws {
        guard schemaVersion == 2 else {
            throw BullaError(.unsupported, "\(what) has schemaVersion \(schemaVersion); only 2 is defined")
        }
        if let mediaType, mediaType != descriptor.mediaType {
            throw BullaError(.malformedInput, "\(what) says mediaType \"\(mediaType)\" but its descriptor says \"\(descriptor.mediaType)\"")
        }
    }
}
