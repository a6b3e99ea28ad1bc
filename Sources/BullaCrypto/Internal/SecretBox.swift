import COpenSSL

/// NaCl's `crypto_secretbox_open` (XSalsa20-Poly1305) and the scrypt that derives its key from a
/// passphrase: the sealing of cosign's private key files (go-securesystemslib's `encrypted`).
///
/// Poly1305 and scrypt are OpenSSL's (`EVP_MAC` "POLY1305", `EVP_KDF` "SCRYPT"); XSalsa20, which
/// OpenSSL lacks, is `XSalsa20`.
enum SecretBox {
    /// Bytes of the Poly1305 tag that starts a box.
    static let tagLength = 16
    /// Bytes of a box's key, and of the scrypt output that is that key.
    static let keyLength = 32
    /// Bytes of a box's nonce.
    static let nonceLength = 24

    /// The plaintext of `box` (tag, then the encrypted bytes) under `key` and `nonce`, or nil when
    /// the tag does not match: a wrong key or a changed box, which cannot be told apart. The tag is
    /// checked in constant time before anything is decrypted.
    static func open(_ box: [UInt8], key: [UInt8], nonce: [UInt8]) throws -> [UInt8]? {
        precondition(key.count == keyLength && nonce.count == nonceLength)
        guard box.count >= tagLength else { return nil }
        let encrypted = box[tagLength...]
        // The key stream's first 32 bytes are the one-time Poly1305 key; the rest encrypts.
        var stream = XSalsa20.keyStream(key: key, nonce: nonce, count: keyLength + encrypted.count)
        defer { Passphrase.zero(&stream) }
        var macKey = Array(stream[0..<keyLength])
        defer { Passphrase.zero(&macKey) }
        let tag = try poly1305(key: macKey, message: encrypted)
        let matches = tag.withUnsafeBufferPointer { computed in
            box.withUnsafeBufferPointer { given in
                CRYPTO_memcmp(computed.baseAddress, given.baseAddress, tagLength) == 0
            }
        }
        guard matches else { return nil }
        var plaintext = [UInt8](repeating: 0, count: encrypted.count)
        for (offset, byte) in encrypted.enumerated() {
            plaintext[offset] = byte ^ stream[keyLength + offset]
        }
        return plaintext
    }

    /// The 16-byte Poly1305 tag of `message` under the one-time 32-byte `key`.
    static func poly1305(key: [UInt8], message: ArraySlice<UInt8>) throws -> [UInt8] {
        let mac = try OpenSSLCall.check(EVP_MAC_fetch(nil, "POLY1305", nil), "OpenSSL has no Poly1305")
        defer { EVP_MAC_free(mac) }
        let context = try OpenSSLCall.check(EVP_MAC_CTX_new(mac), "cannot allocate a Poly1305 context")
        defer { EVP_MAC_CTX_free(context) }
        try OpenSSLCall.check(EVP_MAC_init(context, key, key.count, nil), "cannot start Poly1305")
        let updated = message.withUnsafeBufferPointer { bytes in
            EVP_MAC_update(context, bytes.baseAddress, bytes.count)
        }
        try OpenSSLCall.check(updated, "Poly1305 failed")
        var tag = [UInt8](repeating: 0, count: tagLength)
        var written = 0
        try OpenSSLCall.check(EVP_MAC_final(context, &tag, &written, tagLength), "Poly1305 failed")
        guard written == tagLength else { throw BullaError(.internalFailure, "Poly1305 gave a \(written)-byte tag") }
        return tag
    }

    /// scrypt (RFC 7914) of `passphrase` and `salt`: the 32-byte box key. The caller bounds `n`,
    /// `r` and `p` first; OpenSSL is allowed exactly the memory those bounds imply.
    static func scrypt(passphrase: Passphrase, salt: [UInt8], n: UInt64, r: UInt64, p: UInt64) throws -> [UInt8] {
        let kdf = try OpenSSLCall.check(EVP_KDF_fetch(nil, "SCRYPT", nil), "OpenSSL has no scrypt")
        defer { EVP_KDF_free(kdf) }
        let context = try OpenSSLCall.check(EVP_KDF_CTX_new(kdf), "cannot allocate a scrypt context")
        defer { EVP_KDF_CTX_free(context) }
        // OpenSSL's own accounting (crypto/evp/pbe_scrypt.c): 128·r·(N + 2) for V, 128·r·p for B.
        let memory = 128 * r * (n + 2) + 128 * r * p
        var values: [UInt64] = [n, r, p, memory]
        var key = [UInt8](repeating: 0, count: keyLength)
        let length = keyLength
        let status = passphrase.withBytes { (password: UnsafeRawBufferPointer) -> Int32 in
            salt.withUnsafeBufferPointer { (saltBytes: UnsafeBufferPointer<UInt8>) -> Int32 in
                values.withUnsafeMutableBufferPointer { (numbers: inout UnsafeMutableBufferPointer<UInt64>) -> Int32 in
                    var parameters = [OSSL_PARAM](repeating: OSSL_PARAM(), count: 7)
                    bulla_scrypt_params(
                        &parameters, password.baseAddress?.assumingMemoryBound(to: UInt8.self), password.count,
                        saltBytes.baseAddress, saltBytes.count, numbers.baseAddress)
                    return EVP_KDF_derive(context, &key, length, parameters)
                }
            }
        }
        guard status == 1 else {
            Passphrase.zero(&key)
            throw OpenSSLCall.failure("scrypt failed", code: .internalFailure)
        }
        return key
    }
}
