import COpenSSL

/// Public keys in their one standard encoding, imported without OpenSSL's decoder.
///
/// `d2i_PUBKEY` builds a decoder chain from every provider before it reads a byte: most of a
/// verifying process's key-reading time. The standard SubjectPublicKeyInfo of each of Bulla's
/// algorithms is a fixed header followed by the key, so it is recognised here and the key handed
/// to the provider's key management directly. The provider still checks an EC point lies on
/// its curve; anything else (another encoding, an invalid point) goes through `d2i_PUBKEY` as
/// before, with its errors.
extension EVPKey {
    /// Each algorithm's SubjectPublicKeyInfo header (RFC 5480 named curve with an uncompressed
    /// point; RFC 8410) and the length of the key after it: 91, 120 and 44 bytes in all.
    static let standardHeaders: [(algorithm: KeyAlgorithm, header: [UInt8], keyLength: Int)] = [
        (.ecdsaP256, [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
            0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ], 65),
        (.ecdsaP384, [
            0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
            0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
        ], 97),
        (.ed25519, [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00], 32),
    ]

    /// The key of a standard encoding, or nil for any other input (left to `d2i_PUBKEY`).
    /// A point in the hybrid form (0x06, 0x07), the standard's length but not its encoding, is
    /// refused: one key, one encoding, one key ID.
    static func importStandard(der: [UInt8]) throws -> EVPKey? {
        guard let match = standardHeaders.first(where: { der.count == $0.header.count + $0.keyLength && der.starts(with: $0.header) })
        else { return nil }
        let key = Array(der[match.header.count...])
        let pointer: OpaquePointer?
        switch match.algorithm {
        case .ed25519:
            pointer = key.withUnsafeBufferPointer { EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, $0.baseAddress, $0.count) }
        case .ecdsaP256, .ecdsaP384:
            guard key.first == 0x04 else { throw hybridPoint(match.algorithm, form: key.first ?? 0) }
            pointer = importEC(point: key, group: match.algorithm == .ecdsaP256 ? "P-256" : "P-384")
        }
        guard let pointer else {
            _ = OpenSSLCall.drainErrorQueue()
            return nil
        }
        return EVPKey(taking: pointer, algorithm: match.algorithm, standardDER: der)
    }

    /// An EC public key from its curve's name and uncompressed point, through `EVP_PKEY_fromdata`.
    private static func importEC(point: [UInt8], group: String) -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_fromdata_init(context) == 1 else { return nil }
        var groupName = Array(group.utf8CString)
        var pointBytes = point
        return groupName.withUnsafeMutableBufferPointer { name in
            pointBytes.withUnsafeMutableBytes { bytes in
                var parameters = [OSSL_PARAM](repeating: OSSL_PARAM(), count: 3)
                bulla_ec_public_key_params(&parameters, name.baseAddress, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
                var key: OpaquePointer?
                guard EVP_PKEY_fromdata(context, &key, bulla_evp_pkey_public_key_selection(), &parameters) == 1 else { return nil }
                return key
            }
        }
    }
}
