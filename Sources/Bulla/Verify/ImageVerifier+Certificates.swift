import BullaCrypto

/// Who made one signature count: a trusted key, a Sigstore certificate's identity, or a key an
/// enterprise CA certified; what ``ImageVerifier`` counts toward a threshold and reports.
struct CountedSigner: Sendable, CustomStringConvertible {
    /// The ID of the key that made the signature.
    var keyID: String
    /// The key whose entries in Bulla's own logs are checked: a trusted key, or a CA-certified one.
    var key: VerifyingKey?
    /// For a certificate: who it says signed (issuer nil for an enterprise CA's).
    var identity: SignerIdentity?
    /// Sigstore transparency-log entries that verified.
    var logEntries: [VerifiedLogEntry] = []

    /// A signature by a trusted key.
    init(key: VerifyingKey) {
        keyID = key.keyID
        self.key = key
    }

    /// A signature by a verified certificate.
    init(_ result: BundleVerifier.Result, key: VerifyingKey?) {
        keyID = result.keyID
        self.key = key
        identity = result.identity
        logEntries = result.logEntries
    }

    /// The reason a counted check gives.
    var description: String {
        guard let identity else { return "valid signature by trusted key \(keyID.prefix(16))…" }
        guard identity.issuer != nil else { return "valid signature by \(identity.subject), whose key \(keyID.prefix(16))… a trusted CA certified" }
        let logged = logEntries.map { "\($0.baseURL) entry \($0.logIndex)" }.joined(separator: ", ")
        return "valid signature by \(identity)" + (logged.isEmpty ? "" : ", logged in \(logged)")
    }
}

extension ImageVerifier {
    /// The signer of a signature that may carry a certificate: a trusted key when one verifies
    /// it (`byKey`), else the certificate under the trusted Sigstore identities or enterprise
    /// CAs. Every route tried and failed is named in the error.
    func signer(of evidence: SigstoreEvidence?, byKey: () throws -> CountedSigner) throws -> CountedSigner {
        guard let evidence, let leaf = evidence.certificates?.first else { return try byKey() }
        var reasons: [String] = []
        if !trust.keys.isEmpty {
            do { return try byKey() } catch let error as BullaError { reasons.append(error.message) }
        }
        if !trust.identities.isEmpty {
            do {
                let result = try BundleVerifier(root: trust.sigstoreRoot ?? .production).verify(evidence, identities: trust.identities, key: nil)
                // The certificate's key stands for the signer in Bulla's own logs, so a rule's
                // `log` (--require-log) applies to keyless signatures too.
                return CountedSigner(result, key: try leaf.publicKey)
            } catch let error as BullaError {
                reasons.append(error.message)
            }
        }
        if let authorities = trust.certificateAuthorities {
            do {
                let result = try BundleVerifier(root: authorities, authority: .enterprise).verify(evidence, identities: [], key: nil)
                return CountedSigner(result, key: try leaf.publicKey)
            } catch let error as BullaError {
                reasons.append(error.message)
            }
        }
        if trust.identities.isEmpty && trust.certificateAuthorities == nil {
            let named = (try? FulcioIdentity(certificate: leaf)).map { "\($0.subject)\($0.issuer.map { " (issuer \($0))" } ?? "")" } ?? leaf.subject
            reasons.append("it is signed with a certificate naming \(named), unverified, and no certificate identity or CA is trusted (give --certificate-identity with --certificate-oidc-issuer, or --ca-roots)")
        }
        throw BullaError(.signatureInvalid, reasons.joined(separator: "; "))
    }
}
