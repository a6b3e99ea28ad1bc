import CPKCS11

/// A private key that lives in a PKCS #11 token: found by its URI, used through the module,
/// never read. What ``SigningKey`` signs with when it is given a `pkcs11:` URI.
final class PKCS11Key: Sendable {
    /// The token, with its kept-open session.
    let token: PKCS11Token
    /// ECDSA P-256/P-384 or Ed25519, from the key's type and curve.
    let algorithm: KeyAlgorithm
    /// The public half, read from the token's public key object.
    let publicKey: VerifyingKey

    /// The key `uri` names in the module at `modulePath`. Its public half is read from the one
    /// public key object with the private key's own `CKA_ID` and label, and a test signature must
    /// verify under it: a token whose objects do not pair up is refused, never published under
    /// the wrong key ID. Refuses keys of other types and curves by name.
    init(uri: PKCS11URI, modulePath: String, pin: Passphrase?) throws {
        token = PKCS11Token(module: try PKCS11Module.open(modulePath), uri: uri, pin: pin)
        (algorithm, publicKey) = try token.withSession { [token] session in
            let privateKey = try token.findObject(session, CKO_PRIVATE_KEY, what: "private key")
            guard let id = try token.attribute(session, privateKey, CKA_ID), !id.isEmpty else {
                throw BullaError(.invalidArgument, "the private key on \(token.name) has no CKA_ID, so its public key object cannot be told apart: give it one")
            }
            var template = [PKCS11Token.Attribute(CKA_CLASS, ulong: CKO_PUBLIC_KEY), PKCS11Token.Attribute(CKA_ID, id)]
            if let label = try token.attribute(session, privateKey, CKA_LABEL) { template.append(PKCS11Token.Attribute(CKA_LABEL, label)) }
            let found = try token.objects(session, template, max: 2)
            guard found.count == 1 else {
                throw BullaError(found.isEmpty ? .notFound : .invalidArgument,
                                 "\(token.name) has \(found.isEmpty ? "no" : "more than one") public key object with the private key's id \(Hex.encode(id)) and label: Bulla reads the public half from it")
            }
            let params = try token.attribute(session, found[0], CKA_EC_PARAMS) ?? []
            let point = try token.attribute(session, found[0], CKA_EC_POINT) ?? []
            return try Self.publicKey(params: params, point: point, on: token.name)
        }
        // The pair must sign and verify before anything is signed for real.
        let probe = Array("bulla: does this token key pair up with its public key?".utf8)
        _ = try signature(for: probe)
    }

    /// The token's flags on the private key object: whether it may leave the token
    /// (`CKA_EXTRACTABLE`) and whether its value is hidden (`CKA_SENSITIVE`).
    func custody() throws -> (extractable: Bool?, sensitive: Bool?) {
        try token.withSession { session in
            let key = try token.findObject(session, CKO_PRIVATE_KEY, what: "private key")
            return (try token.flag(session, key, CKA_EXTRACTABLE), try token.flag(session, key, CKA_SENSITIVE))
        }
    }

    /// DER ECDSA over `digest` (the curve's hash), or Ed25519 refused: it signs whole messages.
    func signature(forDigest digest: Digest) throws -> [UInt8] {
        guard algorithm != .ed25519 else { throw BullaError(.invalidArgument, "an Ed25519 key signs whole messages, not digests") }
        guard digest.algorithm == algorithm.digest else {
            throw BullaError(.invalidArgument, "a \(algorithm) key signs \(algorithm.digest?.rawValue ?? "messages") digests, not \(digest.algorithm.rawValue)")
        }
        let raw = try token.withSession { session in
            try token.sign(session, key: try token.findObject(session, CKO_PRIVATE_KEY, what: "private key"), mechanism: CKM_ECDSA, data: digest.bytes)
        }
        guard raw.count == (algorithm == .ecdsaP256 ? 64 : 96), let der = ECDSASignature.der(fromRaw: raw) else {
            throw BullaError(.malformedInput, "\(token.name) returned a \(raw.count)-byte ECDSA signature for a \(algorithm) key")
        }
        try checked(publicKey.isValidSignature(der, forDigest: digest))
        return der
    }

    /// ECDSA over the message's hash (computed here), or Ed25519 (CKM_EDDSA) over the message.
    func signature(for message: [UInt8]) throws -> [UInt8] {
        if let hash = algorithm.digest { return try signature(forDigest: Digest.compute(hash, over: message)) }
        let signature = try token.withSession { session in
            try token.sign(session, key: try token.findObject(session, CKO_PRIVATE_KEY, what: "private key"), mechanism: CKM_EDDSA, data: message)
        }
        guard signature.count == 64 else { throw BullaError(.malformedInput, "\(token.name) returned a \(signature.count)-byte Ed25519 signature") }
        try checked(publicKey.isValidSignature(signature, for: message))
        return signature
    }

    /// Every signature the token makes is verified under the public key Bulla reports before it
    /// is used: a token that signs with another key, or returns garbage, fails loudly.
    private func checked(_ valid: Bool) throws {
        guard valid else {
            throw BullaError(.signatureInvalid, "\(token.name) made a signature that does not verify with its public key \(publicKey.keyID.prefix(16))…: the token's key objects do not pair up, or it is faulty")
        }
    }

    // MARK: Public key

    static let p256 = DERElement.oid([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07])
    static let p384 = DERElement.oid([0x2B, 0x81, 0x04, 0x00, 0x22])
    static let ed25519 = DERElement.oid([0x2B, 0x65, 0x70])
    static let ecPublicKey = DERElement.oid([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01])

    /// SubjectPublicKeyInfo from `CKA_EC_PARAMS` and `CKA_EC_POINT` (a DER OCTET STRING, or the
    /// bare point some modules return).
    static func publicKey(params: [UInt8], point: [UInt8], on name: String) throws -> (KeyAlgorithm, VerifyingKey) {
        let edwardsName = DERElement.element(0x13, Array("edwards25519".utf8))
        let algorithm: KeyAlgorithm
        switch params {
        case p256: algorithm = .ecdsaP256
        case p384: algorithm = .ecdsaP384
        case ed25519, edwardsName: algorithm = .ed25519
        default: throw BullaError(.unsupported, "the key on \(name) is not ECDSA P-256, P-384 or Ed25519 (CKA_EC_PARAMS \(Hex.encode(Array(params.prefix(32)))))")
        }
        var bare = point
        if let inner = DERElement.content(of: point, tag: 0x04) { bare = Array(inner) }
        let spki: [UInt8]
        if algorithm == .ed25519 {
            spki = DERElement.element(0x30, DERElement.element(0x30, ed25519) + DERElement.element(0x03, [0] + bare))
        } else {
            spki = DERElement.element(0x30, DERElement.element(0x30, ecPublicKey + params) + DERElement.element(0x03, [0] + bare))
        }
        do {
            return (algorithm, try VerifyingKey(derRepresentation: spki))
        } catch let error as BullaError {
            throw BullaError(.malformedInput, "the public key object on \(name) does not hold a usable \(algorithm) key: \(error.message)")
        }
    }
}

extension DERElement {
    /// Tag, definite minimal length, content: the few encodings a SubjectPublicKeyInfo needs.
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        guard content.count >= 0x80 else { return [tag, UInt8(content.count)] + content }
        var length: [UInt8] = []
        var count = content.count
        while count > 0 {
            length.insert(UInt8(count & 0xFF), at: 0)
            count >>= 8
        }
        return [tag, 0x80 | UInt8(length.count)] + length + content
    }

    /// An OBJECT IDENTIFIER from its content bytes.
    static func oid(_ content: [UInt8]) -> [UInt8] { element(0x06, content) }
}
