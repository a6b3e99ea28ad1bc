import BullaCrypto

/// Signing and verifying files as Sigstore bundles with a `messageSignature` (cosign sign-blob).
public enum BlobSigning {
    /// Largest file an Ed25519 key signs (Ed25519 needs the whole message in memory; ECDSA
    /// streams any size).
    public static let maxEd25519Bytes: Int64 = 1 << 30

    /// Signs the file at `path`: ECDSA over its SHA-256/384 streamed, Ed25519 over its bytes.
    public static func bundle(forFileAt path: String, key: SigningKey) throws -> SigstoreBundle {
        let sha256 = try FileDigester().digest(ofFileAt: path).digest
        let signature: [UInt8]
        switch key.algorithm.digest {
        case .sha256?: signature = try key.signature(forDigest: sha256)
        case let algorithm?: signature = try key.signature(forDigest: try FileDigester().digest(ofFileAt: path, algorithm: algorithm).digest)
        case nil: signature = try key.signature(for: try FileIO.read(path, limit: Int(maxEd25519Bytes)))
        }
        return SigstoreBundle(keyHint: key.publicKey.hint, content: .messageSignature(digest: sha256, signature: signature))
    }

    /// Checks that `bundle` holds a signature over the file at `path` by one of `keys`, and
    /// returns that key. The bundle's digest must match the file (it is a hint, but a lying one
    /// is refused), and the key hint is never used to skip a key.
    @discardableResult
    public static func verify(fileAt path: String, bundle: SigstoreBundle, keys: [VerifyingKey]) throws -> VerifyingKey {
        guard case .messageSignature(let claimed, let signature) = bundle.content else {
            throw BullaError(.malformedInput, "bundle holds a DSSE envelope, not a blob signature")
        }
        let sha256 = try FileDigester().digest(ofFileAt: path).digest
        guard sha256 == claimed else {
            throw BullaError(.signatureInvalid, "bundle signs a blob with digest \(claimed), but \(path) has \(sha256)")
        }
        var message: [UInt8]?
        for key in keys {
            let valid: Bool
            switch key.algorithm.digest {
            case .sha256?: valid = key.isValidSignature(signature, forDigest: sha256)
            case let algorithm?: valid = key.isValidSignature(signature, forDigest: try FileDigester().digest(ofFileAt: path, algorithm: algorithm).digest)
            case nil:
                if message == nil { message = try FileIO.read(path, limit: Int(maxEd25519Bytes)) }
                valid = key.isValidSignature(signature, for: message!)
            }
            if valid { return key }
        }
        throw BullaError(.signatureInvalid, "the bundle's signature over \(path) does not verify with \(keys.count == 1 ? "the key \(keys[0].keyID.prefix(16))…" : "any of the \(keys.count) keys")")
    }
}
