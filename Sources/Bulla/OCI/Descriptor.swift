import BullaCrypto

/// A reference to content by media type, digest and size (image-spec descriptor.md).
///
/// `digest` is parsed, so a descriptor with a malformed digest never exists; `size` is checked
/// non-negative at decoding. Fields Bulla does not interpret are kept so they print in `inspect`.
public struct Descriptor: Codable, Hashable, Sendable {
    /// What the content is: it decides whether Bulla parses it (manifest, index) or treats it as a blob.
    public var mediaType: String
    /// The digest the content must hash to; every read is checked against it.
    public var digest: Digest
    /// The exact byte length the content must have, at most ``maxSize``; checked on every read.
    public var size: Int64
    /// Other places the content may be fetched from; kept as read, never followed.
    public var urls: [String]?
    /// Metadata on the reference; `index.json` entries carry their tag here (``referenceName``).
    public var annotations: [String: String]?
    /// Base64 of the content itself, when embedded (image-spec "Embedded content").
    public var data: String?
    /// What an artifact is (a Sigstore bundle, an SBOM…): how referrers are told apart.
    public var artifactType: String?
    /// For an index entry, the platform its image runs on: what `--platform` selects by.
    public var platform: Platform?

    /// A descriptor for content Bulla just wrote or computed.
    public init(
        mediaType: String, digest: Digest, size: Int64,
        annotations: [String: String]? = nil, artifactType: String? = nil, platform: Platform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.artifactType = artifactType
        self.platform = platform
    }

    private enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, data, artifactType, platform
    }

    /// Decodes with the checks image-spec asks for: size 0...``maxSize``, a media type of RFC 6838 grammar.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(String.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        data = try container.decodeIfPresent(String.self, forKey: .data)
        artifactType = try container.decodeIfPresent(String.self, forKey: .artifactType)
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        guard size >= 0 else {
            throw BullaError(.malformedInput, "descriptor \(digest.abbreviated) has negative size \(size)")
        }
        guard size <= Self.maxSize else {
            throw BullaError(.limitExceeded, "descriptor \(digest.abbreviated) declares \(size) bytes, more than the \(Self.maxSize) (1 TiB) a descriptor may")
        }
        guard Self.isMediaTypeGrammar(mediaType) else {
            throw BullaError(.malformedInput, "descriptor \(digest.abbreviated) has malformed mediaType \"\(mediaType.prefix(80))\"")
        }
    }

    /// The largest size a descriptor may declare (1 TiB). Sizes come from whoever wrote the
    /// manifest; bounding them where they are parsed keeps every later sum of them (10,000
    /// descriptors at most per walk) far from overflow.
    public static let maxSize: Int64 = 1 << 40

    /// The `org.opencontainers.image.ref.name` annotation: the tag of an `index.json` entry.
    public var referenceName: String? { annotations?[AnnotationKey.referenceName] }

    /// RFC 6838 `type/subtype` with restricted-name characters, as image-spec requires.
    static func isMediaTypeGrammar(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            guard let first = part.utf8.first, part.utf8.count <= 127, isAlphaNumeric(first) else { return false }
            return part.utf8.allSatisfy { isAlphaNumeric($0) || "!#$&-^_.+".utf8.contains($0) }
        }
    }

    private static func isAlphaNumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

/// Annotation keys with meaning to Bulla (image-spec annotations.md).
public enum AnnotationKey {
    /// The tag of an `index.json` entry: how `oci:DIR:TAG` finds its manifest.
    public static let referenceName = "org.opencontainers.image.ref.name"
    /// containerd's and Docker 25's full image name on `index.json` entries.
    public static let containerdImageName = "io.containerd.image.name"
}
