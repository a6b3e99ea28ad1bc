import CPKCS11

extension SigningKey {
    /// Makes a key pair inside the token `uri` names (`object=` is its label, `id=` its
    /// `CKA_ID`, 16 random bytes when not given): private key sensitive, not extractable, for
    /// signing only; public key for verifying. Refuses a label already in use, so a key is never
    /// shadowed. Returns the new key, used through the token like any other.
    public static func generate(pkcs11 uri: PKCS11URI, modulePath: String, pin: Passphrase?, algorithm: KeyAlgorithm) throws -> SigningKey {
        guard let label = uri.object, !label.isEmpty else {
            throw BullaError(.invalidArgument, "name the new key with object=LABEL in the URI")
        }
        let token = PKCS11Token(module: try PKCS11Module.open(modulePath), uri: uri, pin: pin)
        var id = uri.id ?? []
        if id.isEmpty {
            var generator = SystemRandomNumberGenerator()
            id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        let (mechanism, params): (UInt, [UInt8]) = switch algorithm {
        case .ecdsaP256: (CKM_EC_KEY_PAIR_GEN, PKCS11Key.p256)
        case .ecdsaP384: (CKM_EC_KEY_PAIR_GEN, PKCS11Key.p384)
        case .ed25519: (CKM_EC_EDWARDS_KEY_PAIR_GEN, PKCS11Key.ed25519)
        }
        try token.withSession(readWrite: true) { session in
            // A label or an id already in use, on any object, is refused: a second key under either
            // would make every URI naming the first one ambiguous, or select the new one.
            for (what, attribute) in [("labelled \"\(label)\"", PKCS11Token.Attribute(CKA_LABEL, Array(label.utf8))), ("with id \(Hex.encode(id))", PKCS11Token.Attribute(CKA_ID, id))]
            where !(try token.objects(session, [attribute], max: 1)).isEmpty {
                throw BullaError(.invalidArgument, "\(token.name) already has an object \(what): Bulla never replaces or shadows a key; choose another object= (or id=)")
            }
            let common = [PKCS11Token.Attribute(CKA_TOKEN, bool: true), PKCS11Token.Attribute(CKA_LABEL, Array(label.utf8)), PKCS11Token.Attribute(CKA_ID, id)]
            let publicTemplate = common + [
                PKCS11Token.Attribute(CKA_EC_PARAMS, params), PKCS11Token.Attribute(CKA_VERIFY, bool: true),
                PKCS11Token.Attribute(CKA_ENCRYPT, bool: false), PKCS11Token.Attribute(CKA_WRAP, bool: false),
            ]
            // For signing only: no decryption, unwrapping or derivation with a release key.
            let privateTemplate = common + [
                PKCS11Token.Attribute(CKA_PRIVATE, bool: true), PKCS11Token.Attribute(CKA_SENSITIVE, bool: true),
                PKCS11Token.Attribute(CKA_EXTRACTABLE, bool: false), PKCS11Token.Attribute(CKA_SIGN, bool: true),
                PKCS11Token.Attribute(CKA_DECRYPT, bool: false), PKCS11Token.Attribute(CKA_UNWRAP, bool: false), PKCS11Token.Attribute(CKA_DERIVE, bool: false),
            ]
            let generate = try token.function(\.C_GenerateKeyPair, "C_GenerateKeyPair")
            var chosen = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(mechanism), pParameter: nil, ulParameterLen: 0)
            var publicKey = CK_OBJECT_HANDLE(0), privateKey = CK_OBJECT_HANDLE(0)
            try PKCS11Token.withTemplate(publicTemplate) { publicAttributes, publicCount in
                try PKCS11Token.withTemplate(privateTemplate) { privateAttributes, privateCount in
                    try token.check(generate(session, &chosen, publicAttributes, publicCount, privateAttributes, privateCount, &publicKey, &privateKey),
                                    "C_GenerateKeyPair (\(algorithm))")
                }
            }
        }
        // From now on the key is found by its id too, so another object of the same label
        // made later cannot stand in for it.
        return try SigningKey(pkcs11: uri.with(id: id), modulePath: modulePath, pin: pin)
    }
}
