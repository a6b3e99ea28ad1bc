/// cosign's encrypted private key file, read so a team moving from cosign keeps its keys
/// (spec/keys.md, "Importing a cosign key").
///
/// cosign (`pkg/cosign/keys.go`) writes one PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY`
/// (before cosign 2.0: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is go-securesystemslib's
/// `encrypted` JSON: `{"kdf":{"name":"scrypt","params":{"N":…,"r":…,"p":…},"salt":…},
/// "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`, byte strings in padded
/// standard base64. The key is scrypt(passphrase, salt, N, r, p) of 32 bytes; the ciphertext is
/// NaCl's secretbox (the Poly1305 tag, then XSalsa20-encrypted bytes) of the DER PKCS#8 private
/// key. The file may be hostile: every field is checked against its bound before scrypt runs.
enum CosignKey {
    /// The labels cosign writes, the current one first.
    static let labels = ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"]

    /// Largest scrypt N read: 32 times cosign's 32768, and 1 GiB of memory at r = 8.
    static let maximumN: UInt64 = 1 << 20
    /// Largest scrypt r read (cosign: 8).
    static let maximumR: UInt64 = 32
    /// Largest scrypt p read (cosign: 1).
    static let maximumP: UInt64 = 16
    /// Most memory scrypt may take, 128·N·r bytes.
    static let maximumMemory: UInt64 = 1 << 30
    /// Most work scrypt may do, 128·N·r·p bytes mixed: about 10 s on one core (cosign's is 32 MiB).
    static let maximumWork: UInt64 = 1 << 31
    /// Salt lengths read (cosign: 32 bytes).
    static let saltLengths = 16...64
    /// Longest ciphertext read, tag included: a PKCS#8 key of Bulla's algorithms is under 200 bytes.
    static let maximumCiphertext = 16 * 1024

    /// The cosign label of a PEM block in the first 4096 bytes of `pem`, if there is one.
    static func label(in pem: [UInt8]) -> String? {
        let text = String(decoding: pem.prefix(4096), as: UTF8.self)
        return labels.first { text.contains("-----BEGIN \($0)-----") }
    }

    /// The private key sealed in `sealed` under `passphrase`.
    static func open(_ sealed: CosignSealedKey, passphrase: Passphrase) throws -> EVPKey {
        var key = try SecretBox.scrypt(passphrase: passphrase, salt: sealed.salt, n: sealed.n, r: sealed.r, p: sealed.p)
        defer { Passphrase.zero(&key) }
        guard var der = try SecretBox.open(sealed.ciphertext, key: key, nonce: sealed.nonce) else {
            // A wrong passphrase and a changed file fail the same tag check (spec/keys.md).
            throw BullaError(.wrongPassphrase, "cannot decrypt the cosign private key: wrong passphrase (or the file was changed: its Poly1305 tag does not match)")
        }
        defer { Passphrase.zero(&der) }
        do {
            return try EVPKey.privateKey(pkcs8: der)
        } catch let error as BullaError where error.code == .malformedInput {
            throw BullaError(.malformedInput, "the cosign key decrypts, but not to a DER PKCS#8 private key", underlying: error.underlying)
        }
    }
}

/// The fields of a cosign key's JSON (go-securesystemslib's `encrypted` document), each checked
/// against its bound before scrypt runs; a field is named as a path (`kdf.params.N`) in every
/// refusal. The JSON is read by the layer that reads JSON (Bulla's `KeyFile`).
public struct CosignSealedKey: Sendable {
    /// scrypt's cost, block size and parallelism.
    public let n: UInt64, r: UInt64, p: UInt64
    /// scrypt's salt, 16 to 64 bytes.
    public let salt: [UInt8]
    /// secretbox's 24-byte nonce.
    public let nonce: [UInt8]
    /// The Poly1305 tag, then the encrypted PKCS#8 key.
    public let ciphertext: [UInt8]

    /// The sealed key, refused unless it names scrypt and nacl/secretbox and every value is
    /// within its bound.
    public init(kdf: String, cipher: String, n: UInt64, r: UInt64, p: UInt64, salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8]) throws {
        guard kdf == "scrypt" else {
            throw BullaError(.unsupported, "kdf.name is \"\(kdf)\": cosign keys use scrypt, the only key derivation Bulla reads")
        }
        guard cipher == "nacl/secretbox" else {
            throw BullaError(.unsupported, "cipher.name is \"\(cipher)\": cosign keys use nacl/secretbox, the only cipher Bulla reads")
        }
        guard n <= CosignKey.maximumN else {
            throw BullaError(.limitExceeded, "kdf.params.N is \(n), over Bulla's limit of \(CosignKey.maximumN) (2^20; cosign writes 32768)")
        }
        guard n >= 2, n & (n - 1) == 0 else { throw Self.malformed("kdf.params.N is \(n): scrypt's N is a power of two, at least 2") }
        guard r >= 1 else { throw Self.malformed("kdf.params.r is 0: scrypt's r is at least 1") }
        guard r <= CosignKey.maximumR else { throw BullaError(.limitExceeded, "kdf.params.r is \(r), over Bulla's limit of \(CosignKey.maximumR) (cosign writes 8)") }
        guard p >= 1 else { throw Self.malformed("kdf.params.p is 0: scrypt's p is at least 1") }
        guard p <= CosignKey.maximumP else { throw BullaError(.limitExceeded, "kdf.params.p is \(p), over Bulla's limit of \(CosignKey.maximumP) (cosign writes 1)") }
        // RFC 7914 §2: N < 2^(128·r/8); OpenSSL refuses otherwise (only r < 2 can matter here).
        guard 16 * r >= 64 || n < UInt64(1) << (16 * r) else {
            throw Self.malformed("kdf.params.N is \(n) with kdf.params.r \(r): scrypt needs N < 2^(16·r)")
        }
        guard 128 * n * r <= CosignKey.maximumMemory else {
            throw BullaError(.limitExceeded, "kdf.params.N and kdf.params.r ask scrypt for \(128 * n * r) bytes (128·N·r), over Bulla's limit of 1 GiB")
        }
        guard 128 * n * r * p <= CosignKey.maximumWork else {
            throw BullaError(.limitExceeded, "kdf.params.N, r and p ask scrypt to mix \(128 * n * r * p) bytes (128·N·r·p), over Bulla's limit of 2 GiB")
        }
        guard CosignKey.saltLengths.contains(salt.count) else {
            throw Self.malformed("kdf.salt is \(salt.count) bytes; Bulla reads 16 to 64 (cosign writes 32)")
        }
        guard nonce.count == SecretBox.nonceLength else {
            throw Self.malformed("cipher.nonce is \(nonce.count) bytes; secretbox's nonce is \(SecretBox.nonceLength)")
        }
        guard ciphertext.count <= CosignKey.maximumCiphertext else {
            throw BullaError(.limitExceeded, "ciphertext is \(ciphertext.count) bytes, over Bulla's limit of \(CosignKey.maximumCiphertext)")
        }
        guard ciphertext.count > SecretBox.tagLength else {
            throw Self.malformed("ciphertext is \(ciphertext.count) bytes: no room for the \(SecretBox.tagLength)-byte tag and a key")
        }
        (self.n, self.r, self.p, self.salt, self.nonce, self.ciphertext) = (n, r, p, salt, nonce, ciphertext)
    }

    /// The refusal of a field that is not what cosign writes.
    public static func malformed(_ message: String) -> BullaError {
        BullaError(.malformedInput, "not a cosign private key: \(message)")
    }

    /// The PEM label of the block holding the JSON, if `pem` has exactly one of cosign's.
    public static func label(of pem: [UInt8]) throws -> String {
        let text = String(decoding: pem, as: UTF8.self)
        let found = CosignKey.labels.filter { text.contains("-----BEGIN \($0)-----") }
        guard let label = found.first else {
            throw BullaError(.malformedInput, "not a cosign private key: no BEGIN ENCRYPTED SIGSTORE PRIVATE KEY (or ENCRYPTED COSIGN PRIVATE KEY) block")
        }
        guard found.count == 1 else {
            throw BullaError(.malformedInput, "both an ENCRYPTED SIGSTORE PRIVATE KEY and an ENCRYPTED COSIGN PRIVATE KEY block: give one key")
        }
        return label
    }
}
