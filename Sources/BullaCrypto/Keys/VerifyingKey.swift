/// A public key that checks signatures: ECDSA P-256/P-384 or Ed25519.
///
/// Identified by its SubjectPublicKeyInfo DER, so two values are equal exactly when they are the
/// same key, whatever PEM whitespace they were read from.
public struct VerifyingKey: Hashable, Sendable, CustomStringConvertible {
    private let key: EVPKey
    /// DER SubjectPublicKeyInfo, the encoding the key ID is computed over.
    public let derRepresentation: [UInt8]

    init(_ key: EVPKey) throws {
        self.key = key
        derRepresentation = try key.publicKeyDER()
    }

    /// Reads `-----BEGIN PUBLIC KEY-----` PEM (the form cosign and `openssl pkey -pubout` write).
    /// The block is decoded here and its DER read strictly, so bytes after the structure are
    /// refused as they are for DER.
    public init(pemRepresentation: [UInt8]) throws {
        let der: [UInt8]
        do {
            der = try PEM.decode(pemRepresentation, label: "PUBLIC KEY")
        } catch let error as BullaError {
            throw BullaError(.malformedInput, "not a PEM public key (BEGIN PUBLIC KEY): \(error.message)")
        }
        try self.init(derRepresentation: der)
    }

    /// Reads a public key PEM given as text, as the `init(pemRepresentation:)` taking bytes does.
    public init(pemRepresentation: String) throws {
        try self.init(pemRepresentation: Array(pemRepresentation.utf8))
    }

    /// Reads DER SubjectPublicKeyInfo; trailing bytes are refused.
    public init(derRepresentation: [UInt8]) throws {
        try self.init(try EVPKey.publicKey(der: derRepresentation))
    }

    /// The curve and hash signatures must use to verify under this key (spec/keys.md, "Algorithms").
    public var algorithm: KeyAlgorithm { key.algorithm }

    /// Lower-case hex SHA-256 of the SPKI DER (DESIGN.md "Keys").
    public var keyID: String { Digest.compute(.sha256, over: derRepresentation).hex }

    /// The bundle's `publicKey.hint`: base64 of the same SHA-256.
    public var hint: String { Base64.encode(Digest.compute(.sha256, over: derRepresentation).bytes) }

    /// `PUBLIC KEY` PEM of the SPKI DER, the `.pub` file cosign and openssl read.
    public var pemRepresentation: String { PEM.encode(derRepresentation, label: "PUBLIC KEY") }

    /// Whether `signature` is this key's signature over `message`: DER ECDSA (hashing with the
    /// curve's SHA-2) or raw Ed25519. Every malformed signature is simply false.
    public func isValidSignature(_ signature: [UInt8], for message: some Collection<UInt8>) -> Bool {
        if let result = message.withContiguousStorageIfAvailable({ key.isValidSignature(signature, for: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(message).withUnsafeBytes { key.isValidSignature(signature, for: $0) }
    }

    /// As `isValidSignature(_:for:)`, also accepting an ECDSA signature in raw `r || s` form.
    public func isValidSignatureAnyEncoding(_ signature: [UInt8], for message: some Collection<UInt8>) -> Bool {
        anyEncoding(signature) { isValidSignature($0, for: message) }
    }

    /// As `isValidSignature(_:forDigest:)`, also accepting an ECDSA signature in raw `r || s` form.
    public func isValidSignatureAnyEncoding(_ signature: [UInt8], forDigest digest: Digest) -> Bool {
        anyEncoding(signature) { isValidSignature($0, forDigest: digest) }
    }

    /// `check` on the signature as given, then (ECDSA only) on its DER form when it is raw `r || s`.
    private func anyEncoding(_ signature: [UInt8], _ check: ([UInt8]) -> Bool) -> Bool {
        if check(signature) { return true }
        guard algorithm != .ed25519, let der = ECDSASignature.der(fromRaw: signature) else { return false }
        return check(der)
    }

    /// Whether `signature` is this ECDSA key's signature over the message with this digest.
    /// False for Ed25519 keys and for a digest of the wrong hash.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: Digest) -> Bool {
        key.isValidSignature(signature, forDigest: digest)
    }

    /// The algorithm and the start of the key ID, enough to tell keys apart in messages.
    public var description: String { "\(algorithm) key \(keyID.prefix(16))…" }

    /// Same key when the SPKI DER is the same, whatever PEM text it came from.
    public static func == (lhs: VerifyingKey, rhs: VerifyingKey) -> Bool { lhs.derRepresentation == rhs.derRepresentation }
    /// Hashes the SPKI DER, to agree with `==`, so keys can be set members.
    public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }
}
