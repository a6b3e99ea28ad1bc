import BullaCrypto

/// One Sigstore signature's material, wherever it was stored: a bundle's verification material,
/// or the annotations cosign puts on a legacy `.sig` layer (certificate, chain, Rekor bundle,
/// RFC 3161 timestamp). What ``BundleVerifier`` checks; nothing in it is trusted yet.
public struct SigstoreEvidence: Sendable {
    /// What the signature is over, as the log entries must record it.
    public var content: RekorEntry.SignedContent
    /// The signature bytes.
    public var signature: [UInt8]
    /// The signed bytes themselves when known (a legacy payload): the signature is checked over
    /// them, whatever the key's algorithm; else over `content`'s digest.
    public var message: [UInt8]?
    /// The signer's certificates as supplied, leaf first; nil when signed with a bare key.
    public var certificates: [Certificate]?
    /// DER RFC 3161 timestamp tokens over the signature.
    public var timestamps: [[UInt8]]
    /// Transparency-log entries in bundle form (`TransparencyLogEntry`).
    public var tlogEntries: [JSONValue]
    /// Whether each entry must carry an inclusion proof (bundles from v0.2 on); a promise alone
    /// suffices for v0.1 and legacy annotations.
    public var requiresInclusionProof: Bool

    /// The annotations of a legacy cosign `.sig` layer that carry Sigstore material.
    public enum LegacyAnnotation {
        /// The signing certificate, PEM.
        public static let certificate = "dev.sigstore.cosign/certificate"
        /// Its chain, PEM, intermediate first.
        public static let chain = "dev.sigstore.cosign/chain"
        /// Rekor's answer: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`.
        public static let rekorBundle = "dev.sigstore.cosign/bundle"
        /// `{"SignedRFC3161Timestamp": base64 DER}`.
        public static let timestamp = "dev.sigstore.cosign/rfc3161timestamp"
    }

    /// Evidence from its parts.
    public init(content: RekorEntry.SignedContent, signature: [UInt8], message: [UInt8]? = nil, certificates: [Certificate]?,
                timestamps: [[UInt8]] = [], tlogEntries: [JSONValue] = [], requiresInclusionProof: Bool = true) {
        self.content = content
        self.signature = signature
        self.message = message
        self.certificates = certificates
        self.timestamps = timestamps
        self.tlogEntries = tlogEntries
        self.requiresInclusionProof = requiresInclusionProof
    }

    /// A bundle's evidence: `certificate` (v0.3) or `x509CertificateChain`, timestamps, entries.
    public init(bundle: SigstoreBundle) throws {
        let material = bundle.material
        switch bundle.content {
        case .messageSignature(let digest, let signature):
            self.init(content: .messageSignature(digest: digest, signature: signature), signature: signature, certificates: nil)
        case .dsse(let envelope):
            guard let first = envelope.signatures.first, envelope.signatures.count == 1 else {
                throw BullaError(.signatureInvalid, "a bundle's DSSE envelope carries exactly one signature")
            }
            self.init(content: .dsse(envelope), signature: first.signature, certificates: nil)
        }
        if let single = material["certificate"] {
            certificates = [try Certificate(derEncoded: try Self.bytes(single["rawBytes"], "certificate.rawBytes"))]
        } else if let chain = material["x509CertificateChain"] {
            guard case .array(let items)? = chain["certificates"], !items.isEmpty else { throw BullaError(.signatureInvalid, "the bundle's certificate chain is empty") }
            guard items.count <= CertificateChain.maximumDepth else {
                throw BullaError(.limitExceeded, "the bundle's certificate chain has \(items.count) certificates, more than \(CertificateChain.maximumDepth)")
            }
            certificates = try items.map { try Certificate(derEncoded: try Self.bytes($0["rawBytes"], "x509CertificateChain.certificates[].rawBytes")) }
        }
        if case .array(let items)? = material["timestampVerificationData"]?["rfc3161Timestamps"] {
            guard items.count <= BundleVerifier.maxEvidence else { throw Self.tooMany(items.count, "timestamps") }
            timestamps = try items.map { try Self.bytes($0["signedTimestamp"], "rfc3161Timestamps[].signedTimestamp") }
        }
        tlogEntries = bundle.tlogEntries
        requiresInclusionProof = !bundle.mediaType.hasSuffix("version=0.1")
    }

    /// A legacy `.sig` layer's evidence when it carries a certificate; nil for a layer signed
    /// with a bare key (no certificate annotation).
    public init?(legacyPayload payload: [UInt8], signature: [UInt8], annotations: [String: String]) throws {
        guard let pem = annotations[LegacyAnnotation.certificate] else { return nil }
        let leaf = try Certificate.certificates(pem: Array(pem.utf8))
        guard leaf.count == 1 else { throw BullaError(.malformedInput, "annotation \(LegacyAnnotation.certificate) holds \(leaf.count) certificates, not one") }
        let chain = try annotations[LegacyAnnotation.chain].map { try Certificate.certificates(pem: Array($0.utf8)) } ?? []
        guard chain.count < CertificateChain.maximumDepth else { throw BullaError(.limitExceeded, "annotation \(LegacyAnnotation.chain) holds \(chain.count) certificates") }
        let digest = Digest.compute(over: payload)
        // cosign's chain ends with the root; a root is only ever taken from the verifier's trust,
        // so the supplied one is dropped rather than refused.
        let intermediates = chain.filter { !($0.isCA && $0.subject == $0.issuer) }
        self.init(content: .messageSignature(digest: digest, signature: signature), signature: signature, message: payload,
                  certificates: leaf + intermediates, requiresInclusionProof: false)
        if let rekor = annotations[LegacyAnnotation.rekorBundle] { tlogEntries = [try Self.entry(fromRekorBundle: rekor)] }
        if let stamp = annotations[LegacyAnnotation.timestamp] {
            let object = ProtoJSONObject(try JSONValue(parsing: Array(stamp.utf8), what: "annotation \(LegacyAnnotation.timestamp)"), LegacyAnnotation.timestamp)
            timestamps = [try object.bytes("SignedRFC3161Timestamp", max: 64 << 10)]
        }
    }

    /// cosign's Rekor bundle annotation as a bundle's `TransparencyLogEntry`: the same entry,
    /// its signed entry timestamp as the inclusion promise, no proof.
    static func entry(fromRekorBundle text: String) throws -> JSONValue {
        let what = "annotation \(LegacyAnnotation.rekorBundle)"
        let document = ProtoJSONObject(try JSONValue(parsing: Array(text.utf8), what: what), what)
        let set = try document.string("SignedEntryTimestamp")
        let payload = try document.object("Payload")
        let body64 = try payload.string("body")
        guard let body = Base64.decode(body64), body.count <= RekorEntry.maxBodyBytes else { throw payload.error("body", "is not base64 of at most \(RekorEntry.maxBodyBytes) bytes") }
        let kinds = ProtoJSONObject(try JSONValue(parsing: body, what: "\(what) body"), "\(what) body")
        guard let time = try payload.optionalInteger("integratedTime"), let index = try payload.optionalInteger("logIndex") else {
            throw payload.error("integratedTime", "and logIndex are required")
        }
        guard let logID = Hex.decodeLowercase(Array(try payload.string("logID").utf8)) else { throw payload.error("logID", "is not hex") }
        return .object([
            ("logIndex", .string("\(index)")),
            ("logId", .object([("keyId", .string(Base64.encode(logID)))])),
            ("kindVersion", .object([("kind", .string(try kinds.string("kind"))), ("version", .string(try kinds.string("apiVersion")))])),
            ("integratedTime", .string("\(time)")),
            ("inclusionPromise", .object([("signedEntryTimestamp", .string(set))])),
            ("canonicalizedBody", .string(body64)),
        ])
    }

    /// Protobuf `bytes`: base64 (line breaks allowed, as protobuf JSON readers allow them), at
    /// most 64 KiB decoded.
    private static func bytes(_ value: JSONValue?, _ field: String) throws -> [UInt8] {
        guard let object = value else { throw BullaError(.signatureInvalid, "\(field) is missing") }
        return try ProtoJSONObject(.object([("value", object)]), field).bytes("value", max: 64 << 10)
    }

    private static func tooMany(_ count: Int, _ what: String) -> BullaError {
        BullaError(.limitExceeded, "the bundle carries \(count) \(what); at most \(BundleVerifier.maxEvidence) are read")
    }
}
