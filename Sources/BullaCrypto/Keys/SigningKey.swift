/// A private key that makes signatures: in memory (read from a file), or held in a PKCS #11
/// token that signs for it. Never printed: its `description` shows only the public key's ID.
public struct SigningKey: Sendable, CustomStringConvertible {
    /// Where the private key is: nothing above this type knows the difference.
    private enum Backend: Sendable {
        case memory(EVPKey)
        case token(PKCS11Key)
    }

    private let backend: Backend
    /// The matching public key: the `.pub` file `key generate` writes, and the hint bundles carry.
    public let publicKey: VerifyingKey

    private init(_ key: EVPKey) throws {
        backend = .memory(key)
        publicKey = try VerifyingKey(key)
    }

    /// The key `uri` names in a PKCS #11 token (RFC 7512), used through the module at
    /// `modulePath` and logged in with `pin`; the private key never leaves the token.
    public init(pkcs11 uri: PKCS11URI, modulePath: String, pin: Passphrase?) throws {
        let key = try PKCS11Key(uri: uri, modulePath: modulePath, pin: pin)
        backend = .token(key)
        publicKey = key.publicKey
    }

    /// For a key in a token, the URI it is found by (``PKCS11URI/description`` never shows a PIN).
    public var tokenURI: PKCS11URI? {
        if case .token(let key) = backend { return key.token.uri }
        return nil
    }

    /// Whether the private key is held in a token rather than in memory.
    public var isInToken: Bool {
        if case .token = backend { return true }
        return false
    }

    /// For a key in a token, what the token says of its custody: `CKA_EXTRACTABLE` and
    /// `CKA_SENSITIVE` of the private key object; nil for a key in memory.
    public func tokenCustody() throws -> (extractable: Bool?, sensitive: Bool?)? {
        guard case .token(let key) = backend else { return nil }
        return try key.custody()
    }

    /// A fresh key from OpenSSL's CSPRNG.
    public static func generate(_ algorithm: KeyAlgorithm = .ecdsaP256) throws -> SigningKey {
        try SigningKey(try EVPKey.generate(algorithm))
    }

    /// Reads PKCS#8 PEM (plain or `ENCRYPTED PRIVATE KEY`) or SEC1 `EC PRIVATE KEY`, as
    /// `openssl genpkey`, `openssl ecparam -genkey` and Bulla write them. Refuses RSA, DSA, other
    /// curves and explicit-parameter EC keys by name, and a cosign key with the way to import it.
    public init(pemRepresentation: [UInt8], passphrase: Passphrase?) throws {
        try self.init(try EVPKey.privateKey(pem: pemRepresentation, passphrase: passphrase))
    }

    /// Reads cosign's encrypted private key (`ENCRYPTED SIGSTORE PRIVATE KEY`, or cosign 1's
    /// `ENCRYPTED COSIGN PRIVATE KEY`), so a team moving from cosign keeps its keys. scrypt's
    /// parameters and every field are bounded first (spec/keys.md, "Importing a cosign key"); a
    /// wrong passphrase is `wrongPassphrase`, as for Bulla's own keys.
    public static func importingCosign(_ sealed: CosignSealedKey, passphrase: Passphrase) throws -> SigningKey {
        try SigningKey(try CosignKey.open(sealed, passphrase: passphrase))
    }

    /// Whether `pem` holds cosign's private key format, which only `importingCosign` reads.
    public static func isCosignKey(_ pem: [UInt8]) -> Bool {
        CosignKey.label(in: pem) != nil
    }

    /// The curve and hash this key signs with, which the verifier must use too.
    public var algorithm: KeyAlgorithm { publicKey.algorithm }

    /// Encrypted PKCS#8 PEM (PBES2, scrypt N=2^14 r=8 p=1, AES-256-CBC; spec/keys.md). A key
    /// in a token has none: it never leaves the token.
    public func pemRepresentation(passphrase: Passphrase) throws -> [UInt8] {
        guard case .memory(let key) = backend else {
            throw BullaError(.invalidArgument, "a key in a PKCS #11 token has no file form: it never leaves the token")
        }
        return try key.encryptedPrivateKeyPEM(passphrase: passphrase)
    }

    /// Signs `message`: DER ECDSA over its SHA-256/384, or Ed25519 over the message itself.
    public func signature(for message: some Collection<UInt8>) throws -> [UInt8] {
        let bytes = Array(message)
        switch backend {
        case .memory(let key): return try bytes.withUnsafeBytes { try key.sign($0) }
        case .token(let key): return try key.signature(for: bytes)
        }
    }

    /// ECDSA over a precomputed digest of the curve's hash (SHA-256 for P-256, SHA-384 for
    /// P-384), so large inputs can be streamed. Ed25519 keys refuse: they sign whole messages.
    public func signature(forDigest digest: Digest) throws -> [UInt8] {
        switch backend {
        case .memory(let key): return try key.sign(digest: digest)
        case .token(let key): return try key.signature(forDigest: digest)
        }
    }

    /// The algorithm and the start of the public key's ID, never any private bytes.
    public var description: String { "\(algorithm) private key\(isInToken ? " in a PKCS #11 token" : "") for \(publicKey.keyID.prefix(16))…" }
}
