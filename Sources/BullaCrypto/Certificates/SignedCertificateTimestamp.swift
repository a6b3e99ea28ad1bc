import COpenSSL

/// A Certificate Transparency log's promise to publish a certificate (RFC 6962 §3.2), as
/// embedded in the certificate itself: Fulcio logs each precertificate and puts the SCTs in
/// the final certificate, so a verifier can check the certificate was logged, offline.
public struct SignedCertificateTimestamp: Sendable, Hashable {
    /// The SCT list extension's OID (RFC 6962 §3.3).
    public static let extensionOID = "1.3.6.1.4.1.11129.2.4.2"
    /// Most SCTs read from one certificate; Fulcio embeds one, browsers ask for two or three.
    public static let maximumCount = 64

    /// The SCT version: 0 (v1) is the only one defined.
    public let version: UInt8
    /// SHA-256 of the log's DER SubjectPublicKeyInfo: which log signed.
    public let logID: [UInt8]
    /// When the log saw the precertificate, in milliseconds since the Unix epoch.
    public let timestamp: UInt64
    /// The SCT's extensions (CtExtensions), signed over as they are.
    public let extensions: [UInt8]
    /// TLS HashAlgorithm of the signature (4 = SHA-256, 5 = SHA-384, 8 = intrinsic).
    public let hashAlgorithm: UInt8
    /// TLS SignatureAlgorithm of the signature (3 = ECDSA, 7 = Ed25519).
    public let signatureAlgorithm: UInt8
    /// The log's signature over the digitally-signed structure (DER ECDSA or raw Ed25519).
    public let signature: [UInt8]

    /// The SCTs embedded in `certificate` (none without the extension); a list that does not parse exactly is refused.
    public static func embedded(in certificate: Certificate) throws -> [SignedCertificateTimestamp] {
        guard let raw = certificate.extensionValue(oid: extensionOID) else { return [] }
        // OCTET STRING (tag 4) wrapping the TLS-encoded SignedCertificateTimestampList.
        guard let list = DERElement.content(of: raw, tag: 0x04) else {
            throw BullaError(.malformedInput, "the SCT list extension is not one DER OCTET STRING")
        }
        var reader = TLSReader(list)
        var entries = try TLSReader(reader.vector(lengthBytes: 2))
        try reader.finish("SCT list")
        var found: [SignedCertificateTimestamp] = []
        while !entries.isAtEnd {
            guard found.count < maximumCount else {
                throw BullaError(.limitExceeded, "more than \(maximumCount) SCTs in one certificate")
            }
            found.append(try SignedCertificateTimestamp(TLSReader(entries.vector(lengthBytes: 2))))
        }
        guard !found.isEmpty else { throw BullaError(.malformedInput, "the SCT list is empty") }
        return found
    }

    /// One serialized SCT (RFC 6962 §3.2), read to its last byte.
    private init(_ serialized: TLSReader) throws {
        var reader = serialized
        version = try reader.byte()
        // An SCT of another version is kept with only its version read: clients skip those (§3.3).
        guard version == 0 else {
            (logID, timestamp, extensions) = ([], 0, [])
            (hashAlgorithm, signatureAlgorithm, signature) = (0, 0, [])
            return
        }
        logID = Array(try reader.bytes(32))
        timestamp = try reader.unsigned(8)
        extensions = Array(try reader.vector(lengthBytes: 2))
        hashAlgorithm = try reader.byte()
        signatureAlgorithm = try reader.byte()
        signature = Array(try reader.vector(lengthBytes: 2))
        try reader.finish("SCT")
    }

    /// The embedded SCTs a known log signed in its key's window (RFC 6962 §3.2); `issuer` is the leaf's verified issuer (chain[1]); none verifying is refused.
    public static func verifyEmbedded(in leaf: Certificate, issuer: Certificate, logs: [CTLogKey]) throws -> [VerifiedSCT] {
        let timestamps = try embedded(in: leaf)
        guard !timestamps.isEmpty else {
            throw BullaError(.signatureInvalid, "\(leaf.subjectForMessages) embeds no signed certificate timestamp")
        }
        let tbs = try precertificateTBS(of: leaf)
        let issuerKeyHash = Digest.compute(.sha256, over: issuer.subjectPublicKeyInfo).bytes
        var verified: [VerifiedSCT] = []
        var reasons: [String] = []
        for sct in timestamps {
            switch sct.check(tbs: tbs, issuerKeyHash: issuerKeyHash, logs: logs) {
            case .success(let log): verified.append(VerifiedSCT(timestamp: sct, log: log))
            case .failure(let reason): reasons.append(reason.message)
            }
        }
        guard !verified.isEmpty else {
            throw BullaError(.signatureInvalid, "no embedded SCT of \(leaf.subjectForMessages) verifies: \(reasons.joined(separator: "; "))")
        }
        return verified
    }

    /// The log whose key signed this SCT over the precertificate, or why none did.
    private func check(tbs: [UInt8], issuerKeyHash: [UInt8], logs: [CTLogKey]) -> Result<CTLogKey, BullaError> {
        guard version == 0 else { return .failure(BullaError(.unsupported, "SCT version \(version) is not v1")) }
        let logHex = Hex.encode(logID)
        guard let log = logs.first(where: { $0.logID == logID }) else {
            return .failure(BullaError(.signatureInvalid, "SCT from unknown log \(logHex)"))
        }
        guard log.covers(timestamp) else {
            return .failure(BullaError(.signatureInvalid, "SCT of log \(logHex) at \(timestamp) ms is outside the log key's validity"))
        }
        guard fits(log.key.algorithm) else {
            return .failure(BullaError(.signatureInvalid, "SCT of log \(logHex) says hash \(hashAlgorithm), signature \(signatureAlgorithm), which its \(log.key.algorithm) key does not make"))
        }
        guard log.key.isValidSignature(signature, for: signedData(tbs: tbs, issuerKeyHash: issuerKeyHash)) else {
            return .failure(BullaError(.signatureInvalid, "SCT signature of log \(logHex) does not verify"))
        }
        return .success(log)
    }

    /// Whether the SCT's algorithm pair is the one `algorithm` signs with (RFC 5246 §7.4.1.4.1;
    /// Ed25519 as RFC 8446's scheme 0x0807).
    private func fits(_ algorithm: KeyAlgorithm) -> Bool {
        switch algorithm {
        case .ecdsaP256: hashAlgorithm == 4 && signatureAlgorithm == 3
        case .ecdsaP384: hashAlgorithm == 5 && signatureAlgorithm == 3
        case .ed25519: hashAlgorithm == 8 && signatureAlgorithm == 7
        }
    }

    /// The digitally-signed struct of a precertificate entry (RFC 6962 §3.2): version,
    /// signature type 0 (certificate_timestamp), timestamp, entry type 1 (precert_entry),
    /// issuer key hash, the TBSCertificate with a 24-bit length, the extensions with 16.
    private func signedData(tbs: [UInt8], issuerKeyHash: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [version, 0]
        out.reserveCapacity(tbs.count + extensions.count + 64)
        out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: timestamp >> ($0 * 8)) }
        out += [0, 1]
        out += issuerKeyHash
        out += [UInt8(truncatingIfNeeded: tbs.count >> 16), UInt8(truncatingIfNeeded: tbs.count >> 8), UInt8(truncatingIfNeeded: tbs.count)]
        out += tbs
        out += [UInt8(truncatingIfNeeded: extensions.count >> 8), UInt8(truncatingIfNeeded: extensions.count)]
        out += extensions
        return out
    }

    /// The TBSCertificate the log saw: the leaf's, without the SCT list extension, re-encoded
    /// (RFC 6962 §3.2). A certificate whose precertificate was signed by a separate
    /// Precertificate Signing Certificate is not rebuilt (Fulcio signs its own).
    private static func precertificateTBS(of leaf: Certificate) throws -> [UInt8] {
        let copy = try OpenSSLCall.check(X509_dup(leaf.box.pointer), "cannot copy the certificate")
        defer { X509_free(copy) }
        let index = X509_get_ext_by_NID(copy, NID_ct_precert_scts, -1)
        guard index >= 0, let removed = X509_delete_ext(copy, index) else {
            throw OpenSSLCall.failure("cannot remove the SCT list from the certificate", code: .internalFailure)
        }
        X509_EXTENSION_free(removed)
        return try Certificate.encode(copy, i2d_re_X509_tbs)
    }
}

/// A CT log's public key as a trusted root lists it, with the time it was in use: an SCT
/// counts only from a known log, signed while its key was valid.
public struct CTLogKey: Sendable, Hashable {
    /// The log's signing key; RFC 6962 logs sign with ECDSA P-256 (RSA logs are not supported).
    public let key: VerifyingKey
    /// Start of the key's validity, Unix seconds; nil for no start.
    public let validFrom: Int64?
    /// End of the key's validity, Unix seconds (inclusive); nil while the log is current.
    public let validUntil: Int64?

    /// A log key valid from `validFrom` to `validUntil` (each optional).
    public init(key: VerifyingKey, validFrom: Int64? = nil, validUntil: Int64? = nil) {
        self.key = key
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// The log ID SCTs name it by (RFC 6962 §3.2): SHA-256 of the DER SubjectPublicKeyInfo.
    public var logID: [UInt8] { Digest.compute(.sha256, over: key.derRepresentation).bytes }

    /// Whether an SCT made at `milliseconds` falls in the key's validity.
    func covers(_ milliseconds: UInt64) -> Bool {
        guard milliseconds <= UInt64(Int64.max) else { return false }
        let time = Int64(milliseconds)
        if let validFrom, validFrom > Int64.min / 1_000, time < validFrom * 1_000 { return false }
        if let validUntil, validUntil < Int64.max / 1_000, time > validUntil * 1_000 + 999 { return false }
        return true
    }
}

/// An embedded SCT that verified, and the log that signed it: evidence the certificate was
/// logged, and when.
public struct VerifiedSCT: Sendable, Hashable {
    /// The SCT as the certificate carries it.
    public let timestamp: SignedCertificateTimestamp
    /// The log whose key verified it.
    public let log: CTLogKey
}

/// Reads TLS presentation-language structures (RFC 8446 §3): big-endian integers and vectors
/// with a length prefix, never past the end.
private struct TLSReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count else {
            throw BullaError(.malformedInput, "SCT data ends \(count - bytes.count) bytes early")
        }
        defer { bytes = bytes.dropFirst(count) }
        return bytes.prefix(count)
    }

    mutating func byte() throws -> UInt8 { try bytes(1).first! }

    mutating func unsigned(_ count: Int) throws -> UInt64 {
        try bytes(count).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A vector whose length is a `lengthBytes`-byte prefix.
    mutating func vector(lengthBytes: Int) throws -> ArraySlice<UInt8> {
        try bytes(Int(unsigned(lengthBytes)))
    }

    /// Refuses bytes left after a structure that should have ended.
    func finish(_ what: String) throws {
        guard bytes.isEmpty else { throw BullaError(.malformedInput, "\(bytes.count) bytes after the \(what)") }
    }
}
