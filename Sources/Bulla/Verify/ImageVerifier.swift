import BullaCrypto

/// Who is trusted and how many must agree: the "who" of a verification, kept apart from the
/// "what" (the image) as sigstore-go does.
public struct TrustPolicy: Sendable {
    /// The trusted public keys; each counts once toward `threshold`, whatever key hints say.
    public var keys: [VerifyingKey]
    /// Distinct trusted keys whose valid signatures are required.
    public var threshold: Int
    /// Annotations every counted signature must carry with these values.
    public var requiredAnnotations: [String: String]
    /// For legacy signatures: the repository the payload must name; nil accepts any.
    public var identity: String?
    /// Keys of trusted transparency logs: a bundle's log entries are checked offline against
    /// checkpoints they sign.
    public var logKeys: [VerifyingKey]
    /// Count only signatures whose log entry verifies.
    public var requireLog: Bool
    /// Sigstore certificate identities trusted (keyless signing); each distinct identity counts
    /// once toward `threshold`.
    public var identities: [CertificateIdentity] = []
    /// The Sigstore trusted root identities are verified against; nil means the embedded
    /// public-good root.
    public var sigstoreRoot: TrustedRoot?
    /// Enterprise CAs (``TrustedRoot/init(enterpriseRoots:intermediates:)``) whose certified
    /// keys are trusted; each distinct certified key counts once.
    public var certificateAuthorities: TrustedRoot?

    /// What the trusted signers are called in messages: "key(s)" when only keys are trusted.
    public var signerNoun: String { identities.isEmpty && certificateAuthorities == nil ? "key(s)" : "signer(s)" }

    /// Trust in `keys`, one of which must sign by default; logs are checked only when given.
    public init(keys: [VerifyingKey], threshold: Int = 1, requiredAnnotations: [String: String] = [:], identity: String? = nil,
                logKeys: [VerifyingKey] = [], requireLog: Bool = false, identities: [CertificateIdentity] = [],
                sigstoreRoot: TrustedRoot? = nil, certificateAuthorities: TrustedRoot? = nil) {
        self.identities = identities
        self.sigstoreRoot = sigstoreRoot
        self.certificateAuthorities = certificateAuthorities
        self.keys = keys
        self.threshold = threshold
        self.requiredAnnotations = requiredAnnotations
        self.identity = identity
        self.logKeys = logKeys
        self.requireLog = requireLog
    }
}

/// Checks signatures of one image digest against a ``TrustPolicy``.
///
/// Each signature goes through the same steps: the signature over the exact signed bytes with
/// each trusted key (key hints are never trusted), then the payload: its type, that its subject
/// is this image's digest, the identity (legacy), then the required annotations. A key counts
/// toward the threshold once however many of its signatures verify.
public struct ImageVerifier: Sendable {
    /// What the signed statements must be: image signatures, or attestations of a type.
    public enum Expectation: Sendable {
        case signature
        case attestation(PredicateType)
    }

    /// The keys and requirements, with repeated keys removed so a threshold counts distinct signers.
    public let trust: TrustPolicy
    /// Whether image signatures or attestations of a type are being checked.
    public let expectation: Expectation

    /// Refuses, before reading any signature, no key and a threshold the distinct keys cannot meet.
    public init(trust: TrustPolicy, expecting expectation: Expectation = .signature) throws {
        self.expectation = expectation
        var trust = trust
        // The same key given twice is one signer: it must not make a threshold look reachable.
        var seen: Set<VerifyingKey> = []
        trust.keys = trust.keys.filter { seen.insert($0).inserted }
        var identities: Set<CertificateIdentity> = []
        trust.identities = trust.identities.filter { identities.insert($0).inserted }
        guard !trust.keys.isEmpty || !trust.identities.isEmpty || trust.certificateAuthorities != nil else {
            throw BullaError(.invalidArgument, "nothing is trusted: give a --key, a --certificate-identity or --ca-roots")
        }
        // Keys alone bound the signers; an identity pattern or a CA does not.
        let bounded = trust.identities.isEmpty && trust.certificateAuthorities == nil
        guard trust.threshold >= 1, !bounded || trust.threshold <= trust.keys.count else {
            throw BullaError(.invalidArgument, "threshold \(trust.threshold) cannot be met by \(trust.keys.count) distinct key(s)")
        }
        self.trust = trust
    }

    /// Checks every signature of `image` in the steps above and counts distinct keys against the threshold.
    public func verify(_ image: Digest, reference: String, signatures: [FoundSignature], unreadable: [(origin: String, reason: String)] = []) -> VerificationResult {
        var checks = unreadable.map { SignatureCheck(origin: $0.origin.printable, format: nil, keyID: nil, counted: false, reason: "unreadable: \($0.reason)".printable) }
        var counted: Set<String> = []
        var signingKeys: Set<String> = []
        var keys: Set<String> = []
        var identities: [SignerIdentity] = []
        for signature in signatures {
            var check = self.check(signature, image: image)
            if check.counted, let keyID = check.keyID, let signer = check.countedAs {
                // A Fulcio identity counts once however many ephemeral keys it signed with.
                let fulcio = check.identity.flatMap { $0.issuer == nil ? nil : $0 }
                // One private key is one signer, whichever certificate (Fulcio's, a CA's) it came with.
                if counted.contains(signer) || signingKeys.contains(keyID) {
                    check.counted = false
                    check.reason = "valid, but " + (fulcio.map { "identity \($0) is" } ?? "key \(keyID.prefix(16))… is") + " already counted"
                } else {
                    counted.insert(signer)
                    signingKeys.insert(keyID)
                    if let fulcio { identities.append(fulcio) } else { keys.insert(keyID) }
                }
            }
            // Reasons and origins carry text from certificates and payloads: one line each.
            check.reason = check.reason.printable
            check.origin = check.origin.printable
            checks.append(check)
        }
        var result = VerificationResult(
            reference: reference, digest: image, verified: counted.count >= trust.threshold, threshold: trust.threshold,
            trustedKeysSatisfied: keys.sorted(), signatures: checks)
        result.identitiesSatisfied = identities
        return result
    }

    func check(_ signature: FoundSignature, image: Digest) -> SignatureCheck {
        var check = SignatureCheck(origin: signature.origin, format: signature.format, keyID: nil, counted: false, reason: "")
        do {
            let (signer, annotations, statement) = try verifiedPayload(signature, image: image)
            check.keyID = signer.keyID
            check.identity = signer.identity
            check.logEntries = signer.logEntries.isEmpty ? nil : signer.logEntries
            if case .attestation = expectation, let statement {
                check.predicateType = statement.predicateType
                check.predicate = statement.predicate
            }
            for (name, value) in trust.requiredAnnotations.sorted(by: { $0.key < $1.key }) where annotations[name] != value {
                throw BullaError(.signatureInvalid, "annotation \(name) is \(annotations[name].map { "\"\($0)\"" } ?? "missing"), required \"\(value)\"")
            }
            let logged = try signer.key.map { try logStatus(signature, signer: $0) } ?? nil
            if let entry = logged?.entry { check.logEntries = (check.logEntries ?? []) + [entry] }
            check.counted = true
            check.verified = true
            check.reason = signer.description + (logged.map { "; \($0.text)" } ?? "")
        } catch let error as BullaError {
            check.reason = error.message
        } catch {
            check.reason = "\(error)"
        }
        return check
    }

    /// What the trusted logs say of a verified signature: where it is logged, or (when no log
    /// is required) why no entry verified. Throws when a log is required and none verifies.
    private func logStatus(_ signature: FoundSignature, signer: VerifyingKey) throws -> (text: String, entry: VerifiedLogEntry?)? {
        guard !trust.logKeys.isEmpty || trust.requireLog else { return nil }
        var reasons: [String] = []
        if case .bundle(let bundle) = signature.content, case .dsse(let envelope) = bundle.content {
            for entry in bundle.tlogEntries {
                do {
                    let verified = try LogEntry.verify(entry, envelope: envelope, signer: signer, logKeys: trust.logKeys)
                    let size = verified.treeSize.map { " (checkpoint size \($0))" } ?? ""
                    return ("logged at index \(verified.logIndex) of \(verified.baseURL)\(size), inclusion verified offline", verified)
                } catch let error as BullaError {
                    reasons.append(error.message)
                }
            }
            if bundle.tlogEntries.isEmpty { reasons.append("the bundle has no log entry") }
        } else {
            reasons.append("a legacy signature carries no log entry here")
        }
        if trust.requireLog {
            throw BullaError(.signatureInvalid, "not in a trusted log, and one is required: " + reasons.joined(separator: "; "))
        }
        return ("not verified in a log: " + reasons.joined(separator: "; "), nil)
    }

    /// Who signed, and the annotations the signed payload carries.
    private func verifiedPayload(_ signature: FoundSignature, image: Digest) throws -> (CountedSigner, [String: String], InTotoStatement?) {
        let envelope: DSSEEnvelope
        var certified: SigstoreEvidence?
        switch signature.content {
        case .bundle(let bundle):
            guard case .dsse(let inside) = bundle.content else {
                throw BullaError(.malformedInput, "bundle holds a message signature, not a DSSE image signature")
            }
            envelope = inside
            if bundle.material["certificate"] != nil || bundle.material["x509CertificateChain"] != nil {
                certified = try SigstoreEvidence(bundle: bundle)
            }
        case .envelope(let inside):
            envelope = inside
        case .legacy(let payload, let signatureBytes):
            guard case .signature = expectation else {
                throw BullaError(.signatureInvalid, "a simple-signing signature, not an attestation")
            }
            let evidence = try SigstoreEvidence(legacyPayload: payload, signature: signatureBytes, annotations: signature.annotations)
            let key = try signer(of: evidence) { try CountedSigner(key: self.signer(of: payload, signatures: [signatureBytes])) }
            let parsed = try SimpleSigningPayload(parsing: payload)
            guard parsed.manifestDigest == image else {
                throw BullaError(.signatureInvalid, "signs \(parsed.manifestDigest), not this image \(image)")
            }
            if let identity = trust.identity, parsed.dockerReference != identity {
                let named = parsed.dockerReference.isEmpty ? "names no repository (critical.identity.docker-reference is missing)" : "signs for repository \(parsed.dockerReference)"
                throw BullaError(.signatureInvalid, "\(named), not \(identity)")
            }
            return (key, parsed.optional ?? [:], nil)
        }
        // The type is refused before the signature is tried: nothing but an in-toto statement
        // is ever accepted, signed or not.
        guard envelope.payloadType == InTotoStatement.payloadType else {
            throw BullaError(.signatureInvalid, "payloadType is \(envelope.payloadType), not \(InTotoStatement.payloadType)")
        }
        let key = try signer(of: certified) { try CountedSigner(key: self.signer(of: envelope, hint: signature.keyHint)) }
        let statement = try InTotoStatement(payload: envelope.payload)
        switch expectation {
        case .signature:
            guard statement.predicateType == InTotoStatement.cosignSignPredicate else {
                throw BullaError(.signatureInvalid, "predicate type is \(statement.predicateType), not an image signature (\(InTotoStatement.cosignSignPredicate))")
            }
        case .attestation(let type):
            guard type.matches(statement.predicateType) else {
                throw BullaError(.signatureInvalid, "predicate type is \(statement.predicateType), not \(type.uri)")
            }
        }
        guard let subject = statement.names(image) else {
            let named = statement.subjects.flatMap { $0.digest.map { "\($0.key):\($0.value)" } }.joined(separator: ", ")
            throw BullaError(.signatureInvalid, "signs \(named), not this image \(image) (subject digests are lower-case hex of the same algorithm)")
        }
        return (key, subject.annotations ?? [:], statement)
    }

    /// The trusted key that signed. When none did, the key hints (never trusted, only read for
    /// the message) tell a changed payload from a signer nobody trusts.
    private func signer(of envelope: DSSEEnvelope, hint: String?) throws -> VerifyingKey {
        if let key = trust.keys.first(where: { !envelope.signatures(verifiedBy: $0).isEmpty }) { return key }
        // Hints are base64 (bundle) or hex (DSSE keyid) of the key's SHA-256; shown as key IDs.
        let hints = Set([hint].compactMap { $0 } + envelope.signatures.compactMap(\.keyID))
        if let named = trust.keys.first(where: { hints.contains($0.hint) || hints.contains($0.keyID) }) {
            throw BullaError(.signatureInvalid, "signature does not verify with any trusted key: it names trusted key \(named.keyID.prefix(16))…, so the payload, its type or the signature changed after signing")
        }
        if let other = hints.sorted().first {
            let keyID = Base64.decode(other).map { Hex.encode($0) } ?? other
            throw BullaError(.signatureInvalid, "signature does not verify with any trusted key: it names key \(keyID.prefix(16))…, which is not trusted")
        }
        throw BullaError(.signatureInvalid, "signature does not verify with any trusted key")
    }

    /// The first trusted key any of `signatures` verifies under, over exactly `message`.
    private func signer(of message: [UInt8], signatures: [[UInt8]]) throws -> VerifyingKey {
        for key in trust.keys where signatures.contains(where: { key.isValidSignature($0, for: message) }) {
            return key
        }
        throw BullaError(.signatureInvalid, "signature does not verify with any trusted key")
    }
}

