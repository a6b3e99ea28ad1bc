import BullaCrypto

/// A Sigstore bundle (sigstore/protobuf-specs `Bundle`, protobuf-JSON form) as Bulla writes and
/// reads it for key-based signatures: the key hint, log entries, and either a DSSE envelope or a
/// message signature over a blob.
public struct SigstoreBundle: Sendable {
    /// The v0.3 bundle media type, which Bulla writes (and cosign v3 reads) for every new bundle.
    public static let mediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// Media types of earlier versions, readable (spec/signatures.md).
    public static let readableMediaTypes: Set<String> = [
        mediaTypeV03,
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
    ]

    /// What is signed: a DSSE envelope (images, attestations) or a blob's digest (`sign-blob`).
    public enum Content: Sendable {
        case dsse(DSSEEnvelope)
        /// A signature over the artifact's bytes, with the artifact's SHA-256 as a hint.
        case messageSignature(digest: Digest, signature: [UInt8])
    }

    /// The bundle's version as read; new bundles get ``mediaTypeV03``.
    public var mediaType: String
    /// base64 SHA-256 of the signer's SPKI DER; a hint to pick the key, never trusted.
    public var keyHint: String?
    /// Transparency-log entries, kept verbatim until the log work reads them.
    public var tlogEntries: [JSONValue]
    /// Certificate-based material (keyless bundles): kept so such bundles parse.
    public var certificate: JSONValue?
    /// The whole `verificationMaterial` as read (certificates, timestamps, entries), for
    /// ``SigstoreEvidence``; empty for a bundle made here.
    public var material: JSONValue = .object([])
    /// The signed content, the part verification checks against trusted keys.
    public var content: Content

    /// A v0.3 bundle for a key-based signature, with the log entries `--log` recorded.
    public init(keyHint: String?, content: Content, tlogEntries: [JSONValue] = []) {
        mediaType = Self.mediaTypeV03
        self.keyHint = keyHint
        self.content = content
        self.tlogEntries = tlogEntries
    }

    /// The JSON bytes Bulla writes. `tlogEntries` is always present (strict readers require the
    /// field even when it is empty).
    public var json: JSONValue {
        var material: [(String, JSONValue)] = []
        if let certificate {
            // A chain (`certificates`) is v0.1/v0.2's x509CertificateChain; a leaf is v0.3's certificate.
            material.append((certificate["certificates"] == nil ? "certificate" : "x509CertificateChain", certificate))
        } else {
            material.append(("publicKey", .object(keyHint.map { [("hint", .string($0))] } ?? [])))
        }
        material.append(("tlogEntries", .array(tlogEntries)))
        var members: [(String, JSONValue)] = [("mediaType", .string(mediaType)), ("verificationMaterial", .object(material))]
        switch content {
        case .dsse(let envelope):
            members.append(("dsseEnvelope", envelope.json))
        case .messageSignature(let digest, let signature):
            members.append(("messageSignature", .object([
                ("messageDigest", .object([("algorithm", .string("SHA2_256")), ("digest", .string(Base64.encode(digest.bytes)))])),
                ("signature", .string(Base64.encode(signature))),
            ])))
        }
        return .object(members)
    }

    /// The media type of a bundle carrying a certificate chain: `x509CertificateChain` is
    /// v0.2's field (v0.3 carries the leaf alone).
    public static let mediaTypeV02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"

    /// Carries `certificates` (leaf first) instead of the key hint, so a verifier trusting the
    /// CA can check the signer: the leaf alone as a v0.3 `certificate`, a leaf with its chain as
    /// a v0.2 `x509CertificateChain`.
    public mutating func carry(_ certificates: [Certificate]) {
        guard let leaf = certificates.first else { return }
        let raw = { (certificate: Certificate) in JSONValue.object([("rawBytes", .string(Base64.encode(certificate.derRepresentation)))]) }
        if certificates.count == 1 {
            certificate = raw(leaf)
            mediaType = Self.mediaTypeV03
        } else {
            certificate = .object([("certificates", .array(certificates.map(raw)))])
            mediaType = Self.mediaTypeV02
        }
        keyHint = nil
    }

    /// The compact bytes of `json`: what is stored as a referrer's layer or a detached file.
    public var serialized: [UInt8] { json.serialized }

    /// Reads a bundle. Refuses unknown media types, a bundle with both or neither of DSSE and
    /// message signature, and malformed base64; a DSSE envelope in a bundle must have exactly one
    /// signature (protobuf-specs).
    public init(bytes: [UInt8], limits: Limits = .default) throws {
        var json: [(String, JSONValue)] = []
        var envelope: DSSEEnvelope?
        // The envelope is read in place (its payload can be an SBOM of many megabytes); the
        // rest is small and read as values.
        try JSONReader.read(bytes, what: "bundle", maxDepth: limits.maxJSONDepth) { reader in
            try reader.object { reader, name in
                if name.is("dsseEnvelope") {
                    envelope = try DSSEEnvelope(reading: &reader, what: "bundle dsseEnvelope")
                } else {
                    json.append((name.string, try reader.value()))
                }
            }
        }
        let object = JSONValue.object(json)
        try self.init(object, envelope: envelope)
    }

    private init(_ json: JSONValue, envelope: DSSEEnvelope?) throws {
        guard case .string(let mediaType)? = json["mediaType"], Self.readableMediaTypes.contains(mediaType) else {
            throw BullaError(.unsupported, "bundle media type \(json["mediaType"]?.text ?? "missing") is not a Sigstore bundle v0.1–v0.3")
        }
        guard let material = json["verificationMaterial"] else {
            throw BullaError(.malformedInput, "bundle has no verificationMaterial")
        }
        self.mediaType = mediaType
        // protobuf-specs makes these one oneof: a bundle naming two signers is refused, not read by whichever comes first.
        let signers = ["publicKey", "certificate", "x509CertificateChain"].filter { material[$0] != nil }
        guard signers.count <= 1 else {
            throw BullaError(.malformedInput, "bundle verificationMaterial has both \(signers.joined(separator: " and ")); it names one signer")
        }
        self.material = material
        keyHint = material["publicKey"]?["hint"]?.stringValue
        certificate = material["certificate"] ?? material["x509CertificateChain"]
        if case .array(let entries)? = material["tlogEntries"] { tlogEntries = entries } else { tlogEntries = [] }
        switch (envelope, json["messageSignature"]) {
        case (let parsed?, nil):
            guard parsed.signatures.count == 1 else {
                throw BullaError(.malformedInput, "bundle dsseEnvelope has \(parsed.signatures.count) signatures; a bundle carries exactly one")
            }
            content = .dsse(parsed)
        case (nil, let message?):
            guard case .string(let sig64)? = message["signature"], let signature = Base64.decode(sig64), !signature.isEmpty else {
                throw BullaError(.malformedInput, "bundle messageSignature.signature is missing or not base64")
            }
            guard case .string(let digest64)? = message["messageDigest"]?["digest"], let digestBytes = Base64.decode(digest64),
                  message["messageDigest"]?["algorithm"]?.stringValue == "SHA2_256", let digest = try? Digest(algorithm: .sha256, bytes: digestBytes) else {
                throw BullaError(.malformedInput, "bundle messageSignature.messageDigest must be a SHA2_256 digest in base64")
            }
            content = .messageSignature(digest: digest, signature: signature)
        case (nil, nil):
            throw BullaError(.malformedInput, "bundle has neither dsseEnvelope nor messageSignature")
        case (_?, _?):
            throw BullaError(.malformedInput, "bundle has both dsseEnvelope and messageSignature")
        }
    }
}
