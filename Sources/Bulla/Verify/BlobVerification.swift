import BullaCrypto

/// `bulla verify-blob`'s answer: which file, its digest, and the trusted key that signed it
/// (`application/vnd.bulla.blob-verification.v1+json`).
public struct BlobVerification: Codable, Sendable {
    /// The answer's versioned media type, so a reader can check the version first.
    public var mediaType = "application/vnd.bulla.blob-verification.v1+json"
    /// The file verified, as given on the command line.
    public var file: String
    /// The file's SHA-256, which the bundle's signature was checked against.
    public var digest: Digest
    /// The ID of the trusted key that verified the signature (spec/keys.md, "Key ID and bundle hint").
    public var keyID: String
    /// That key's algorithm name: `ecdsa-p256`, `ecdsa-p384` or `ed25519`.
    public var algorithm: String
    /// For a certificate: the OIDC issuer and identity it was verified for.
    public var issuer: String?
    public var subject: String?
    /// For a bundle checked against a trusted root: the index of each verified log entry.
    public var logIndices: [UInt64]?
}

extension Verifier {
    /// `bulla verify-blob`: the file at `path` against the bundle file at `bundlePath`, signed by
    /// one of `keys`; throws `signatureInvalid` naming why when it is not.
    public func verify(fileAt path: String, bundleAt bundlePath: String, keys: [VerifyingKey]) throws -> BlobVerification {
        let bundle = try SigstoreBundle(bytes: try KeyFile.read(bundlePath, limit: Self.maxSignatureBundleBytes))
        let (key, digest) = try Self.signer(ofFileAt: path, bundle: bundle, keys: keys)
        return BlobVerification(file: path, digest: digest, keyID: key.keyID, algorithm: "\(key.algorithm)")
    }

    /// `bulla verify-blob` against a Sigstore trusted root: the artifact (a file, or its
    /// `sha256:` digest) against the bundle at `bundlePath`, signed by a certificate for
    /// `identity` or by `key`, with every log entry and timestamp verified offline.
    public func verify(artifact: String, bundleAt bundlePath: String, root: TrustedRoot, authority: BundleVerifier.Authority = .sigstore,
                       identity: CertificateIdentity?, key: VerifyingKey?) throws -> BlobVerification {
        let bytes = try KeyFile.read(bundlePath, limit: Self.maxSignatureBundleBytes)
        let digest: Digest
        if artifact.hasPrefix("sha256:") {
            digest = try Digest(parsing: artifact)
        } else {
            digest = try FileDigester().digest(ofFileAt: artifact).digest
        }
        let result = try BundleVerifier(root: root, authority: authority).verify(bundle: bytes, artifactDigest: digest, identity: identity, key: key)
        var verification = BlobVerification(file: artifact, digest: digest, keyID: result.keyID, algorithm: "\(result.algorithm)")
        verification.issuer = result.issuer
        verification.subject = result.subject
        verification.logIndices = result.logEntries.map(\.logIndex)
        return verification
    }

    /// Checks that `bundle` holds a signature over the file at `path` by one of `keys`, and
    /// returns that key and the file's SHA-256. The bundle's digest must match the file (it is
    /// a hint, but a lying one is refused), and the key hint is never used to skip a key.
    static func signer(ofFileAt path: String, bundle: SigstoreBundle, keys: [VerifyingKey]) throws -> (VerifyingKey, Digest) {
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
                if message == nil { message = try FileIO.read(path, limit: Int(BlobSigning.maxEd25519Bytes)) }
                valid = key.isValidSignature(signature, for: message!)
            }
            if valid { return (key, sha256) }
        }
        throw BullaError(.signatureInvalid, "the bundle's signature over \(path) does not verify with \(keys.count == 1 ? "the key \(keys[0].keyID.prefix(16))…" : "any of the \(keys.count) keys")")
    }
}
