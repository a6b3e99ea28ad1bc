import BullaCrypto

/// cosign's legacy "simple signing" payload: what a `sha256-<hex>.sig` layer holds and its
/// signature covers, byte for byte (spec/signatures.md).
public struct SimpleSigningPayload: Sendable {
    /// The media type of a `.sig` layer holding this payload, which readers look for.
    public static let mediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    /// The layer annotation carrying the base64 signature over the payload, as cosign stores it.
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"
    /// The `critical.type` every payload must carry; any other is refused.
    public static let type = "cosign container image signature"

    /// `critical.identity.docker-reference`: the repository signed, informative only.
    public var dockerReference: String
    /// The manifest digest signed; a signature counts only for the image with this digest.
    public var manifestDigest: Digest
    /// `-a` annotations; nil is written as `"optional":null`, as cosign does.
    public var optional: [String: String]?

    /// A payload for `sign --format legacy`; `bytes` gives what is signed.
    public init(dockerReference: String, manifestDigest: Digest, optional: [String: String]?) {
        self.dockerReference = dockerReference
        self.manifestDigest = manifestDigest
        self.optional = optional
    }

    /// Compact JSON in cosign's member order, no trailing newline.
    public var bytes: [UInt8] {
        JSONValue.object([
            ("critical", .object([
                ("identity", .object([("docker-reference", .string(dockerReference))])),
                ("image", .object([("docker-manifest-digest", .string(manifestDigest.description))])),
                ("type", .string(Self.type)),
            ])),
            ("optional", optional.map { JSONValue.annotations($0) } ?? .null),
        ]).serialized
    }

    /// Parses a payload, refusing any other `critical.type` and a malformed digest.
    public init(parsing bytes: [UInt8], limits: Limits = .default) throws {
        let json = try JSONDocument.decode(JSONValue.self, from: bytes, what: "simple-signing payload", limits: limits)
        guard json["critical"]?["type"]?.stringValue == Self.type else {
            throw BullaError(.malformedInput, "payload critical.type is \(json["critical"]?["type"]?.text ?? "missing"), not \"\(Self.type)\"")
        }
        guard let digest = json["critical"]?["image"]?["docker-manifest-digest"]?.stringValue else {
            throw BullaError(.malformedInput, "payload has no critical.image.docker-manifest-digest")
        }
        do {
            manifestDigest = try Digest(parsing: digest)
        } catch let error as BullaError {
            throw error.prefixed("payload critical.image.docker-manifest-digest \"\(digest.prefix(80))\"")
        }
        dockerReference = json["critical"]?["identity"]?["docker-reference"]?.stringValue ?? ""
        if case .object(let members)? = json["optional"] {
            optional = Dictionary(members.map { key, value in (key, value.stringValue ?? value.text) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
