import BullaCrypto

/// Signing files as Sigstore bundles with a `messageSignature` (cosign sign-blob).
public enum BlobSigning {
    /// Largest file an Ed25519 key signs (Ed25519 needs the whole message in memory; ECDSA
    /// streams any size); verifying reads the same bound.
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
}
