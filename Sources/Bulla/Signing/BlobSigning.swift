import BullaCrypto

/// Signing files as Sigstore bundles with a `messageSignature` (cosign sign-blob).
public enum BlobSigning {
    /// Largest file an Ed25519 key signs (Ed25519 needs the whole message in memory; ECDSA
    /// streams any size); verifying reads the same bound.
    public static let maxEd25519Bytes: Int64 = 1 << 30

    /// Signs the file at `path`: ECDSA over its SHA-256/384 streamed, Ed25519 over its bytes.
    public static func bundle(forFileAt path: String, key: SigningKey, certificates: [Certificate] = []) throws -> SigstoreBundle {
        try checkCertificates(certificates, key: key)
        let sha256 = try FileDigester().digest(ofFileAt: path).digest
        let signature: [UInt8]
        switch key.algorithm.digest {
        case .sha256?: signature = try key.signature(forDigest: sha256)
        case let algorithm?: signature = try key.signature(forDigest: try FileDigester().digest(ofFileAt: path, algorithm: algorithm).digest)
        case nil: signature = try key.signature(for: try FileIO.read(path, limit: Int(maxEd25519Bytes)))
        }
        var bundle = SigstoreBundle(keyHint: key.publicKey.hint, content: .messageSignature(digest: sha256, signature: signature))
        bundle.carry(certificates)
        return bundle
    }

    /// Refuses certificates whose leaf certifies another key than `key`, or that are not a
    /// leaf followed by CA certificates: a bundle must never name a signer who did not sign.
    public static func checkCertificates(_ certificates: [Certificate], key: SigningKey) throws {
        guard let leaf = certificates.first else { return }
        guard try leaf.publicKey == key.publicKey else {
            throw BullaError(.invalidArgument, "the certificate \(leaf.subject.isEmpty ? "(no subject name)" : leaf.subject) certifies key \(try leaf.publicKey.keyID.prefix(16))…, not the signing key \(key.publicKey.keyID.prefix(16))…")
        }
        guard !leaf.isCA else { throw BullaError(.invalidArgument, "the certificate is a CA's, not a signer's: give the signing key's own certificate first") }
        if let odd = certificates.dropFirst().first(where: { !$0.isCA }) {
            throw BullaError(.invalidArgument, "the chain holds \(odd.subject), which is not a CA certificate")
        }
        guard certificates.count <= CertificateChain.maximumDepth else {
            throw BullaError(.limitExceeded, "\(certificates.count) certificates: a chain holds at most \(CertificateChain.maximumDepth)")
        }
    }
}
