import COpenSSL
import Synchronization

/// Owns one `EVP_PKEY`: the only holder of that pointer. Every OpenSSL call on keys is here.
///
/// An `EVP_PKEY` is immutable once made and OpenSSL allows concurrent signing and verifying with
/// one, hence `@unchecked Sendable`.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    let algorithm: KeyAlgorithm
    /// Contexts initialised once for digest signing and verifying and reused under a lock, as
    /// `openssl speed` does: setting one up costs as much as a fifth of a P-256 signature.
    private let signer = Mutex<ContextBox?>(nil)
    private let checker = Mutex<ContextBox?>(nil)

    /// An `EVP_PKEY_CTX` owned by this box.
    private final class ContextBox: @unchecked Sendable {
        let context: OpaquePointer
        init(_ context: OpaquePointer) { self.context = context }
        deinit { EVP_PKEY_CTX_free(context) }
    }

    /// The DER SubjectPublicKeyInfo the key was read from, when it is the standard encoding:
    /// `publicKeyDER()` then answers without OpenSSL's encoder.
    private let standardDER: [UInt8]?

    private init(taking pointer: OpaquePointer) throws {
        self.pointer = pointer
        standardDER = nil
        do {
            algorithm = try Self.algorithm(of: pointer)
        } catch {
            EVP_PKEY_free(pointer)
            throw error
        }
        // One key, one key ID: only the named-curve, uncompressed SubjectPublicKeyInfo is
        // accepted, so the same key cannot arrive under two IDs. The key as OpenSSL would
        // write it must be the standard header and, for EC, an uncompressed point: a private
        // key's embedded point in hybrid form re-encodes at the standard length too.
        let standard = Self.standardHeaders.first { $0.algorithm == algorithm }!
        let encoded = try? Self.encodePublicKey(pointer)
        guard let encoded, encoded.count == standard.header.count + standard.keyLength, encoded.starts(with: standard.header) else {
            throw BullaError(
                encoded == nil ? .malformedInput : .unsupported,
                "\(algorithm) key in a non-standard encoding (\(encoded?.count ?? 0)-byte public key: explicit curve parameters or a compressed point, or the point at infinity); re-encode it with a named curve and uncompressed point")
        }
        if algorithm != .ed25519, let form = encoded.dropFirst(standard.header.count).first, form != 0x04 {
            throw Self.hybridPoint(algorithm, form: form)
        }
    }

    /// The refusal of an EC point in any form but uncompressed (0x04): hybrid (0x06, 0x07) by name.
    static func hybridPoint(_ algorithm: KeyAlgorithm, form: UInt8) -> BullaError {
        form == 0x06 || form == 0x07
            ? BullaError(.unsupported, "\(algorithm) key with a point in hybrid form; re-encode it with an uncompressed point")
            : BullaError(.malformedInput, "\(algorithm) key whose point starts with 0x\(String(form, radix: 16)), not an uncompressed point's 0x04")
    }

    /// A key imported from its standard SubjectPublicKeyInfo `der`, whose algorithm the
    /// encoding's fixed header named.
    init(taking pointer: OpaquePointer, algorithm: KeyAlgorithm, standardDER der: [UInt8]) {
        self.pointer = pointer
        self.algorithm = algorithm
        standardDER = der
    }

    deinit { EVP_PKEY_free(pointer) }

    // MARK: making keys

    static func generate(_ algorithm: KeyAlgorithm) throws -> EVPKey {
        let name = algorithm == .ed25519 ? "ED25519" : "EC"
        let context = try OpenSSLCall.check(EVP_PKEY_CTX_new_from_name(nil, name, nil), "cannot create a \(algorithm) key context")
        defer { EVP_PKEY_CTX_free(context) }
        try OpenSSLCall.check(EVP_PKEY_keygen_init(context), "cannot start \(algorithm) key generation")
        if algorithm != .ed25519 {
            try OpenSSLCall.check(EVP_PKEY_CTX_set_group_name(context, algorithm == .ecdsaP256 ? "P-256" : "P-384"), "cannot choose the curve")
        }
        var key: OpaquePointer?
        try OpenSSLCall.check(EVP_PKEY_generate(context, &key), "\(algorithm) key generation failed")
        return try EVPKey(taking: try OpenSSLCall.check(key, "no key was generated"))
    }

    /// A private key in PEM: PKCS#8 (plain or encrypted) or SEC1 `EC PRIVATE KEY`.
    static func privateKey(pem: [UInt8], passphrase: Passphrase?) throws -> EVPKey {
        if CosignKey.label(in: pem) != nil {
            throw BullaError(.malformedInput, "this is a cosign key: run `bulla key import-cosign FILE --output-prefix NEW`")
        }
        let encrypted = PEMText.isEncrypted(pem)
        if encrypted && passphrase == nil {
            throw BullaError(.passphraseRequired, "the private key is encrypted: give its passphrase (BULLA_PASSWORD, --passphrase-file or the prompt)")
        }
        let key: OpaquePointer? = try withMemoryBIO(pem) { bio in
            withPassword(passphrase) { context in
                PEM_read_bio_PrivateKey(bio, nil, passwordCallback, context)
            }
        }
        guard let key else {
            let reason = OpenSSLCall.drainErrorQueue() ?? ""
            if encrypted {
                throw BullaError(.wrongPassphrase, "cannot decrypt the private key: wrong passphrase", underlying: reason)
            }
            throw BullaError(.malformedInput, "not a PEM private key (PKCS#8 or SEC1 EC PRIVATE KEY)", underlying: reason)
        }
        return try EVPKey(taking: key)
    }

    /// A private key as DER PKCS#8 `PrivateKeyInfo` (what a cosign key file seals); the whole
    /// input must be the structure.
    static func privateKey(pkcs8 der: [UInt8]) throws -> EVPKey {
        let key = der.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            // Trailing bytes after the structure are refused, as for public keys.
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else { return nil }
            return EVP_PKCS82PKEY(info)
        }
        guard let key else {
            throw BullaError(.malformedInput, "not a DER PKCS#8 private key", underlying: OpenSSLCall.drainErrorQueue())
        }
        return try EVPKey(taking: key)
    }

    /// A public key as DER SubjectPublicKeyInfo; the whole input must be the structure.
    static func publicKey(der: [UInt8]) throws -> EVPKey {
        if let key = try importStandard(der: der) { return key }
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            // Trailing bytes after the structure are refused: one key, one encoding.
            if let key, cursor != buffer.baseAddress.map({ $0 + buffer.count }) {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let key else {
            throw BullaError(.malformedInput, "not a DER SubjectPublicKeyInfo", underlying: OpenSSLCall.drainErrorQueue())
        }
        let parsed = try EVPKey(taking: key)
        // A standard key reaches here only in a loose encoding (long-form lengths, unused bits
        // in the BIT STRING): DER has one encoding of a key, and only that one is read.
        guard try parsed.publicKeyDER() == der else {
            throw BullaError(.malformedInput, "\(parsed.algorithm) key not in DER's one encoding of a SubjectPublicKeyInfo (long-form lengths or unused bits); re-encode it")
        }
        return parsed
    }

    // MARK: encodings

    /// DER SubjectPublicKeyInfo.
    func publicKeyDER() throws -> [UInt8] {
        if let standardDER { return standardDER }
        return try Self.encodePublicKey(pointer)
    }

    /// The SubjectPublicKeyInfo OpenSSL writes for `pointer`.
    private static func encodePublicKey(_ pointer: OpaquePointer) throws -> [UInt8] {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else { throw OpenSSLCall.failure("cannot encode the public key", code: .internalFailure) }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        guard written == length else { throw OpenSSLCall.failure("cannot encode the public key", code: .internalFailure) }
        return out
    }

    /// Encrypted PKCS#8 PEM: PBES2 with scrypt (N=2^14, r=8, p=1) and AES-256-CBC, the scheme
    /// `openssl pkcs8 -topk8 -scrypt` writes and every OpenSSL 1.1+ reads.
    func encryptedPrivateKeyPEM(passphrase: Passphrase) throws -> [UInt8] {
        let algorithm = try OpenSSLCall.check(
            PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nil, 0, nil, 1 << 14, 8, 1), "cannot set up scrypt key encryption")
        guard let info = EVP_PKEY2PKCS8(pointer) else {
            X509_ALGOR_free(algorithm)
            throw OpenSSLCall.failure("cannot encode the private key", code: .internalFailure)
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let sealed = passphrase.withBytes { bytes in
            PKCS8_set0_pbe(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), info, algorithm)
        }
        guard let sealed else {
            X509_ALGOR_free(algorithm)
            throw OpenSSLCall.failure("cannot encrypt the private key", code: .internalFailure)
        }
        defer { X509_SIG_free(sealed) }
        return try withOutputBIO { bio in
            try OpenSSLCall.check(PEM_write_bio_PKCS8(bio, sealed), "cannot write the private key")
        }
    }

    // MARK: signatures

    /// ECDSA signatures are DER `ECDSA-Sig-Value`; Ed25519 signatures are 64 raw bytes.
    func sign(_ message: UnsafeRawBufferPointer) throws -> [UInt8] {
        try withSigningContext { context in
            try OpenSSLCall.check(EVP_DigestSignInit_ex(context, nil, digestName, nil, nil, pointer, nil), "cannot start signing")
            var length = 0
            try OpenSSLCall.check(EVP_DigestSign(context, nil, &length, message.baseAddress, message.count), "cannot size the signature")
            var signature = [UInt8](repeating: 0, count: length)
            try OpenSSLCall.check(EVP_DigestSign(context, &signature, &length, message.baseAddress, message.count), "signing failed")
            return Array(signature.prefix(length))
        }
    }

    /// True only for a signature that verifies; every malformed input is simply false.
    func isValidSignature(_ signature: [UInt8], for message: UnsafeRawBufferPointer) -> Bool {
        let result: Int32? = try? withSigningContext { context in
            guard EVP_DigestVerifyInit_ex(context, nil, digestName, nil, nil, pointer, nil) == 1 else { return 0 }
            return EVP_DigestVerify(context, signature, signature.count, message.baseAddress, message.count)
        }
        _ = OpenSSLCall.drainErrorQueue()
        return result == 1
    }

    /// ECDSA over a digest computed elsewhere (a streamed file): the same signature `sign` makes
    /// over the message whose digest this is.
    func sign(digest: Digest) throws -> [UInt8] {
        try checkDigest(digest)
        return try signer.withLock { box in
            let context = try prepared(&box, verify: false)
            var length = 0
            try OpenSSLCall.check(EVP_PKEY_sign(context, nil, &length, digest.bytes, digest.bytes.count), "cannot size the signature")
            var signature = [UInt8](repeating: 0, count: length)
            try OpenSSLCall.check(EVP_PKEY_sign(context, &signature, &length, digest.bytes, digest.bytes.count), "signing failed")
            return Array(signature.prefix(length))
        }
    }

    func isValidSignature(_ signature: [UInt8], forDigest digest: Digest) -> Bool {
        guard (try? checkDigest(digest)) != nil else { return false }
        let result: Int32? = try? checker.withLock { box in
            EVP_PKEY_verify(try prepared(&box, verify: true), signature, signature.count, digest.bytes, digest.bytes.count)
        }
        _ = OpenSSLCall.drainErrorQueue()
        return result == 1
    }

    private func checkDigest(_ digest: Digest) throws {
        guard let expected = algorithm.digest else {
            throw BullaError(.unsupported, "Ed25519 signs whole messages, not digests")
        }
        guard digest.algorithm == expected else {
            throw BullaError(.invalidArgument, "\(algorithm) signs \(expected.rawValue) digests, not \(digest.algorithm.rawValue)")
        }
    }

    /// The cached context, made and initialised on first use.
    private func prepared(_ box: inout ContextBox?, verify: Bool) throws -> OpaquePointer {
        if let box { return box.context }
        let made = ContextBox(try OpenSSLCall.check(EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil), "cannot allocate a key context"))
        try OpenSSLCall.check(verify ? EVP_PKEY_verify_init(made.context) : EVP_PKEY_sign_init(made.context), "cannot start \(verify ? "verifying" : "signing")")
        try OpenSSLCall.check(EVP_PKEY_CTX_set_signature_md(made.context, MessageDigestContext.method(algorithm.digest!)), "cannot set the hash")
        box = made
        return made.context
    }

    private var digestName: String? {
        algorithm.digest.map { $0 == .sha256 ? "SHA256" : $0 == .sha384 ? "SHA384" : "SHA512" }
    }

    private func withSigningContext<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        let context = try OpenSSLCall.check(EVP_MD_CTX_new(), "cannot allocate a signing context")
        defer { EVP_MD_CTX_free(context) }
        return try body(context)
    }

    // MARK: helpers

    /// Which of Bulla's algorithms a key is; every other kind of key is refused by name.
    private static func algorithm(of key: OpaquePointer) throws -> KeyAlgorithm {
        if EVP_PKEY_is_a(key, "ED25519") == 1 { return .ed25519 }
        guard EVP_PKEY_is_a(key, "EC") == 1 else {
            let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            throw BullaError(.unsupported, "\(type) keys are not supported: Bulla signs with ECDSA P-256, ECDSA P-384 or Ed25519")
        }
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
            _ = OpenSSLCall.drainErrorQueue()
            throw BullaError(.unsupported, "EC key with explicit curve parameters is not supported: use a named curve (P-256 or P-384)")
        }
        let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch curve {
        case "prime256v1", "P-256": return .ecdsaP256
        case "secp384r1", "P-384": return .ecdsaP384
        default:
            throw BullaError(.unsupported, "EC curve \(curve) is not supported: Bulla signs with P-256 or P-384")
        }
    }

    private static func withMemoryBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { buffer in
            let bio = try OpenSSLCall.check(BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)), "cannot allocate a memory BIO")
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    private func withOutputBIO(_ body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
        let bio = try OpenSSLCall.check(BIO_new(BIO_s_mem()), "cannot allocate a memory BIO")
        defer { BIO_free(bio) }
        try body(bio)
        var data: UnsafeMutablePointer<CChar>?
        let length = bulla_bio_get_mem_data(bio, &data)
        guard length > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// Answers OpenSSL's password request from the context `withPassword` sets up, or refuses
    /// when there is none: OpenSSL's default would prompt on the terminal, which a library must
    /// never do.
    private static let passwordCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
        buffer, size, _, context in
        guard let buffer, let context else { return -1 }
        let secret = context.assumingMemoryBound(to: UnsafeRawBufferPointer.self).pointee
        guard secret.count <= Int(size) else { return -1 }
        if let base = secret.baseAddress, secret.count > 0 {
            UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: secret.count)
        }
        return Int32(secret.count)
    }

    private static func withPassword<R>(_ passphrase: Passphrase?, _ body: (UnsafeMutableRawPointer?) -> R) -> R {
        guard let passphrase else { return body(nil) }
        return passphrase.withBytes { bytes in
            var secret = bytes
            return withUnsafeMutablePointer(to: &secret) { body(UnsafeMutableRawPointer($0)) }
        }
    }
}

/// Recognises PEM framing without decoding it.
enum PEMText {
    static func isEncrypted(_ pem: [UInt8]) -> Bool {
        let text = String(decoding: pem.prefix(4096), as: UTF8.self)
        return text.contains("BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")
    }
}
