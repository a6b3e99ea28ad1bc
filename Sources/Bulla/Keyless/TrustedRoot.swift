import BullaCrypto

/// A Sigstore trusted root (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`, JSON form):
/// the transparency logs, certificate authorities, CT logs and timestamp authorities a keyless
/// verification trusts, each for a window of time. It is the whole trust of an offline keyless
/// check, so it is read strictly: a malformed entry refuses the root rather than being skipped.
public struct TrustedRoot: Sendable, Hashable {
    /// The media type Sigstore's TUF repositories publish `trusted_root.json` with.
    public static let mediaTypeV01 = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    /// Every media type read: the published form and the newer ones protobuf-specs names.
    public static let readableMediaTypes: Set<String> = [
        mediaTypeV01,
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
    ]
    /// Largest document read; the production root is 7 KB.
    public static let maxBytes = 1 << 20
    /// Most entries in any one list (logs, authorities): real roots hold a handful.
    public static let maxEntries = 64
    /// Most certificates in one authority's chain.
    public static let maxChainLength = 10
    /// Largest key or certificate accepted, decoded.
    public static let maxObjectBytes = 16 << 10

    /// A closed interval of Unix seconds (protobuf-specs `TimeRange`): `start` is required, and
    /// no `end` means still trusted. Both ends count as inside.
    public struct ValidityPeriod: Sendable, Hashable, CustomStringConvertible {
        /// The first second trusted.
        public var start: Int
        /// The last second trusted; nil while the key or authority is current.
        public var end: Int?

        /// A window as read or made in tests.
        public init(start: Int, end: Int? = nil) {
            self.start = start
            self.end = end
        }

        /// Whether `time` lies in the window, ends included (the conformance suite's
        /// `*-validity-end-inclusive` vectors).
        public func contains(_ time: Int) -> Bool { time >= start && end.map { time <= $0 } ?? true }

        /// `[start, end]` in RFC 3339, for messages.
        public var description: String { "[\(Timestamp.rfc3339(start)), \(end.map { Timestamp.rfc3339($0) } ?? "open")]" }
    }

    /// A log's public key (protobuf-specs `PublicKey`): SubjectPublicKeyInfo DER, what the
    /// key is for, and when it was the log's key.
    public struct PublicKey: Sendable, Hashable {
        /// DER SubjectPublicKeyInfo, kept as given so its hash is the log ID.
        public var derRepresentation: [UInt8]
        /// `PublicKeyDetails` name (`PKIX_ECDSA_P256_SHA_256`, `PKIX_ED25519`, …).
        public var keyDetails: String
        /// When this key signed for its log.
        public var validFor: ValidityPeriod

        /// The key as a verifier. Throws for key types Bulla does not verify with (the RSA keys
        /// of some CT logs) and for a `keyDetails` that disagrees with the key itself.
        public func verifyingKey() throws -> VerifyingKey {
            let key = try VerifyingKey(derRepresentation: derRepresentation)
            let stated: KeyAlgorithm? = switch keyDetails {
            case "PKIX_ECDSA_P256_SHA_256": .ecdsaP256
            case "PKIX_ECDSA_P384_SHA_384": .ecdsaP384
            case "PKIX_ED25519": .ed25519
            default: nil
            }
            guard let stated else {
                throw BullaError(.unsupported, "trusted root key type \(keyDetails.isEmpty ? "(keyDetails missing)" : keyDetails) is not one Bulla verifies with")
            }
            guard stated == key.algorithm else {
                throw BullaError(.malformedInput, "trusted root key says \(keyDetails) but is an \(key.algorithm) key")
            }
            return key
        }
    }

    /// A transparency or CT log (protobuf-specs `TransparencyLogInstance`).
    public struct LogInstance: Sendable, Hashable {
        /// Where the log is served; its host names the log in checkpoints (Rekor v2).
        public var baseURL: String
        /// The Merkle tree's hash (`SHA2_256` for every Sigstore log).
        public var hashAlgorithm: String
        /// The key that signs checkpoints, inclusion promises and SCTs.
        public var publicKey: PublicKey
        /// The log ID a bundle's entry names (`logId.keyId`): how an entry finds its log.
        public var logID: [UInt8]
        /// `checkpointKeyId.keyId` (trusted root v0.2), when given.
        public var checkpointKeyID: [UInt8]?
        /// Who runs the log (`operator`), when given.
        public var operatorName: String?

        /// The host of `baseURL` without scheme, port or path: the origin a Rekor v2 checkpoint
        /// must carry and the name its signature line uses (as sigstore-go's `url.Hostname()`).
        public var hostname: String {
            var rest = Substring(baseURL)
            if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") { rest = rest[rest.index(colon, offsetBy: 3)...] }
            rest = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { return String(rest[rest.index(after: rest.startIndex)..<close]) }
            return String(rest.prefix { $0 != ":" })
        }
    }

    /// A certificate or timestamp authority (protobuf-specs `CertificateAuthority`).
    public struct CertificateAuthority: Sendable, Hashable {
        /// `subject.organization`, for messages.
        public var organization: String?
        /// `subject.commonName`, for messages.
        public var commonName: String?
        /// Where the authority is served, when given.
        public var uri: String?
        /// The chain as DER, leaf (or intermediate) first, root last.
        public var certificates: [[UInt8]]
        /// When the authority's certificates issued or timestamped for it.
        public var validFor: ValidityPeriod
        /// Who runs the authority (`operator`), when given.
        public var operatorName: String?

        /// The URI, else the subject, to name the authority in messages.
        public var name: String { uri ?? [organization, commonName].compactMap { $0 }.joined(separator: "/") }
    }

    /// The media type as read.
    public var mediaType: String
    /// The Rekor logs whose entries, promises and checkpoints are trusted.
    public var tlogs: [LogInstance]
    /// The certificate transparency logs whose SCTs are trusted.
    public var ctlogs: [LogInstance]
    /// The Fulcio instances whose certificates are trusted.
    public var certificateAuthorities: [CertificateAuthority]
    /// The RFC 3161 authorities whose timestamps are trusted.
    public var timestampAuthorities: [CertificateAuthority]

    /// Reads a `trusted_root.json`. Unknown members are ignored (newer roots add some), a
    /// `null` member counts as absent; a missing or bad required field, an unknown media type,
    /// or a validity without `start` refuses the whole root, naming the field.
    public init(bytes: [UInt8], limits: Limits = .default) throws {
        guard bytes.count <= Self.maxBytes else {
            throw BullaError(.limitExceeded, "trusted root is \(bytes.count) bytes, more than the limit of \(Self.maxBytes)")
        }
        try self.init(json: try JSONValue(parsing: bytes, what: "trusted root", limits: limits))
    }

    /// Reads a parsed trusted root, as strictly as `init(bytes:)`.
    public init(json: JSONValue) throws {
        let field = ProtoJSONObject(json, "trusted root")
        mediaType = try field.string("mediaType")
        guard Self.readableMediaTypes.contains(mediaType) else {
            throw BullaError(.unsupported, "trusted root mediaType \"\(mediaType.prefix(80))\" is not a Sigstore trusted root v0.1 or v0.2")
        }
        tlogs = try field.list("tlogs").map(Self.log)
        ctlogs = try field.list("ctlogs").map(Self.log)
        certificateAuthorities = try field.list("certificateAuthorities").map(Self.authority)
        timestampAuthorities = try field.list("timestampAuthorities").map(Self.authority)
    }

    /// An enterprise PKI as a root (`--ca-roots`, `--ca-intermediates`, a policy's `roots:`):
    /// one authority per root certificate, each with every intermediate given, trusted for as
    /// long as the certificates themselves say; no logs. Refuses no root, and a "root" that is
    /// not a self-issued CA certificate.
    public init(enterpriseRoots roots: [Certificate], intermediates: [Certificate] = []) throws {
        guard !roots.isEmpty else { throw BullaError(.invalidArgument, "no CA root certificate given") }
        guard roots.count <= Self.maxEntries, intermediates.count < Self.maxChainLength else {
            throw BullaError(.limitExceeded, "\(roots.count) roots and \(intermediates.count) intermediates: at most \(Self.maxEntries) and \(Self.maxChainLength - 1)")
        }
        if let odd = roots.first(where: { !$0.isCA || $0.subject != $0.issuer }) {
            throw BullaError(.invalidArgument, "\(odd.subject) is not a root: a CA root is a self-issued CA certificate")
        }
        mediaType = "application/vnd.bulla.enterprise-ca"
        tlogs = []
        ctlogs = []
        timestampAuthorities = []
        certificateAuthorities = roots.map { root in
            CertificateAuthority(organization: nil, commonName: root.subject, uri: nil,
                                 certificates: intermediates.map(\.derRepresentation) + [root.derRepresentation],
                                 validFor: ValidityPeriod(start: Int(root.notBefore), end: Int(root.notAfter)), operatorName: nil)
        }
    }

    /// The trusted logs whose log ID is `id` (a bundle entry's `logId.keyId`).
    public func transparencyLogs(withID id: [UInt8]) -> [LogInstance] {
        tlogs.filter { $0.logID == id }
    }

    /// Verifies an RFC 3161 timestamp over `signature` against this root's timestamp
    /// authorities: one authority's chain must verify it (`TimestampToken.verify(over:chain:)`)
    /// and its window must hold the time. Returns the time and the authority.
    public func verifiedTimestamp(_ token: TimestampToken, over signature: [UInt8]) throws -> (time: Int, authority: CertificateAuthority) {
        var reasons: [String] = []
        for authority in timestampAuthorities {
            guard authority.validFor.contains(token.generationTime) else {
                reasons.append("\(authority.name): genTime \(Timestamp.rfc3339(token.generationTime)) is outside its validity \(authority.validFor)")
                continue
            }
            do {
                return (try token.verify(over: signature, chain: authority.certificates), authority)
            } catch let error as BullaError {
                reasons.append("\(authority.name): \(error)")
            }
        }
        if reasons.isEmpty { reasons = ["the trusted root has no timestamp authorities"] }
        throw BullaError(.signatureInvalid, "timestamp is not verified by a trusted timestamp authority (\(reasons.joined(separator: "; ")))")
    }

    // MARK: Reading

    private static func log(_ field: ProtoJSONObject) throws -> LogInstance {
        let key = try field.object("publicKey")
        let der = try key.bytes("rawBytes")
        guard !der.isEmpty else { throw key.error("rawBytes", "is empty") }
        return LogInstance(
            baseURL: try field.string("baseUrl"),
            hashAlgorithm: try field.optionalString("hashAlgorithm") ?? "SHA2_256",
            publicKey: PublicKey(derRepresentation: der, keyDetails: try key.optionalString("keyDetails") ?? "", validFor: try validity(key)),
            logID: try field.object("logId").bytes("keyId"),
            checkpointKeyID: try field.optionalObject("checkpointKeyId")?.bytes("keyId"),
            operatorName: try field.optionalString("operator"))
    }

    private static func authority(_ field: ProtoJSONObject) throws -> CertificateAuthority {
        let subject = try field.optionalObject("subject")
        let certificates = try field.object("certChain").list("certificates", max: maxChainLength).map { try $0.bytes("rawBytes") }
        guard !certificates.isEmpty else { throw field.error("certChain.certificates", "is empty") }
        return CertificateAuthority(
            organization: try subject?.optionalString("organization"), commonName: try subject?.optionalString("commonName"),
            uri: try field.optionalString("uri"), certificates: certificates, validFor: try validity(field),
            operatorName: try field.optionalString("operator"))
    }

    /// `validFor`: required, with a required `start` (sigstore-conformance
    /// `trust-root-tlog-missing-validity-start_fail`: a missing bound is not "unbounded").
    private static func validity(_ field: ProtoJSONObject) throws -> ValidityPeriod {
        let range = try field.object("validFor")
        guard let start = try range.optionalTime("start", roundingUp: true) else {
            throw range.error("start", "is missing: a validity window must say when it begins")
        }
        let end = try range.optionalTime("end", roundingUp: false)
        if let end, end < start { throw range.error("end", "is before its start") }
        return ValidityPeriod(start: start, end: end)
    }
}
