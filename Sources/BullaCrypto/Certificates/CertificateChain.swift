import COpenSSL

/// Verification of a signing certificate up to a trusted root at one given time (RFC 5280 §6,
/// by OpenSSL's `X509_verify_cert`).
///
/// The time is never "now": a Fulcio certificate lives ten minutes, so the caller passes the
/// time the evidence proves (a log's integrated time, a verified RFC 3161 time). Only roots are
/// trust anchors unless the caller says intermediates are too; a leaf that is a CA is refused;
/// and the leaf must name the extended key usage asked for. Every failure is
/// ``BullaError/Code/signatureInvalid`` with OpenSSL's reason (`X509_verify_cert_error_string`).
public enum CertificateChain {
    /// id-kp-codeSigning (RFC 5280 §4.2.1.12): what Fulcio and code-signing CAs issue for.
    public static let codeSigning = "1.3.6.1.5.5.7.3.3"
    /// anyExtendedKeyUsage (RFC 5280 §4.2.1.12): a CA listing it does not narrow its leaves.
    public static let anyExtendedKeyUsage = "2.5.29.37.0"
    /// Most certificates one chain may have, leaf and root included.
    public static let maximumDepth = 10

    /// The verified chain, leaf first and trust anchor last, or the reason there is none.
    ///
    /// - Parameters:
    ///   - leaf: the certificate that signed; refused when basicConstraints makes it a CA.
    ///   - roots: the trust anchors; a root must be self-signed unless `intermediatesAreAnchors`.
    ///   - intermediates: certificates that may complete the chain without being anchors (a
    ///     trusted root's CA chain, a bundle's chain): only a path to a root counts.
    ///   - time: Unix seconds at which every certificate must be valid (notBefore ≤ time < notAfter, as OpenSSL counts).
    ///   - extendedKeyUsage: the purpose the leaf must list (nil checks none); a CA on the path
    ///     that lists purposes must list it too, or anyExtendedKeyUsage.
    ///   - intermediatesAreAnchors: trust `intermediates` themselves (OpenSSL's partial chains),
    ///     for a caller that pins an issuing CA; false by default.
    public static func verify(
        _ leaf: Certificate,
        roots: [Certificate],
        intermediates: [Certificate] = [],
        at time: Int64,
        extendedKeyUsage: String? = codeSigning,
        intermediatesAreAnchors: Bool = false
    ) throws -> [Certificate] {
        guard !roots.isEmpty || (intermediatesAreAnchors && !intermediates.isEmpty) else {
            throw BullaError(.invalidArgument, "no trusted root to verify \(leaf.subjectForMessages) against")
        }
        guard !leaf.isCA else {
            throw BullaError(.signatureInvalid, "\(leaf.subjectForMessages) is a CA certificate (basicConstraints CA:TRUE), not a signer's")
        }
        let known = [leaf] + intermediates + roots
        let chain = try withVerifiedChain(leaf, known: known, anchors: intermediatesAreAnchors ? roots + intermediates : roots, untrusted: intermediates, at: time, partial: intermediatesAreAnchors) { stack in
            try (0..<OPENSSL_sk_num(stack)).map { try certificate(OpaquePointer(OPENSSL_sk_value(stack, $0)), among: known) }
        }
        if let extendedKeyUsage {
            try checkExtendedKeyUsage(extendedKeyUsage, of: chain, at: time)
        }
        return chain
    }

    /// Runs `X509_verify_cert` and hands `body` the chain it built, or throws its reason.
    private static func withVerifiedChain<R>(
        _ leaf: Certificate, known: [Certificate], anchors: [Certificate], untrusted: [Certificate], at time: Int64, partial: Bool,
        _ body: (OpaquePointer) throws -> R
    ) throws -> R {
        let store = try OpenSSLCall.check(X509_STORE_new(), "cannot allocate a certificate store")
        defer { X509_STORE_free(store) }
        for anchor in Set(anchors) {
            try OpenSSLCall.check(X509_STORE_add_cert(store, anchor.box.pointer), "cannot add \(anchor.subjectForMessages) to the trust store")
        }
        let stack = try OpenSSLCall.check(OPENSSL_sk_new_null(), "cannot allocate a certificate stack")
        // The stack borrows the pointers the certificates own; only the stack is freed.
        defer { OPENSSL_sk_free(stack) }
        for certificate in untrusted {
            guard OPENSSL_sk_push(stack, UnsafeRawPointer(certificate.box.pointer)) > 0 else {
                throw OpenSSLCall.failure("cannot build the intermediate list", code: .internalFailure)
            }
        }
        let context = try OpenSSLCall.check(X509_STORE_CTX_new(), "cannot allocate a verification context")
        defer { X509_STORE_CTX_free(context) }
        try OpenSSLCall.check(X509_STORE_CTX_init(context, store, leaf.box.pointer, stack), "cannot start chain verification")
        let parameters = X509_STORE_CTX_get0_param(context)
        X509_VERIFY_PARAM_set_time(parameters, time_t(time))
        // The depth counts certificates below the anchor (the leaf is depth 0).
        X509_VERIFY_PARAM_set_depth(parameters, Int32(maximumDepth - 2))
        if partial {
            X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        }
        guard X509_verify_cert(context) == 1 else {
            throw failure(context, leaf: leaf, known: known, at: time)
        }
        _ = OpenSSLCall.drainErrorQueue()
        return try body(try OpenSSLCall.check(X509_STORE_CTX_get0_chain(context), "verification built no chain"))
    }

    /// The error for a failed `X509_verify_cert`: OpenSSL's reason, the time, and which
    /// certificate of the chain it concerns.
    private static func failure(_ context: OpaquePointer, leaf: Certificate, known: [Certificate], at time: Int64) -> BullaError {
        let code = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let reason = String(cString: X509_verify_cert_error_string(Int(code)))
        var concerned = leaf.subjectForMessages
        if let current = X509_STORE_CTX_get_current_cert(context), let certificate = try? certificate(current, among: known) {
            concerned = certificate.subjectForMessages
        }
        let underlying = OpenSSLCall.drainErrorQueue()
        return BullaError(
            .signatureInvalid,
            "certificate chain of \(leaf.subjectForMessages) does not verify at \(UnixTime.text(time)): \(reason) (depth \(depth), \(concerned))",
            underlying: underlying)
    }

    /// The ``Certificate`` of an `X509` of the chain: one of `known` (OpenSSL hands back the
    /// pointers it was given), else read from OpenSSL's encoding.
    private static func certificate(_ x509: OpaquePointer, among known: [Certificate]) throws -> Certificate {
        if let same = known.first(where: { $0.box.pointer == x509 }) { return same }
        return try Certificate(derEncoded: Certificate.encode(x509, i2d_X509))
    }

    /// The leaf must list `purpose`; a CA above it that lists purposes must list it or
    /// anyExtendedKeyUsage (the nesting Go's crypto/x509 and Microsoft's CryptoAPI apply).
    private static func checkExtendedKeyUsage(_ purpose: String, of chain: [Certificate], at time: Int64) throws {
        for (depth, certificate) in chain.enumerated() {
            let listed = certificate.extendedKeyUsage
            let allowed = depth == 0
                ? listed.contains(purpose)
                : listed.isEmpty || listed.contains(purpose) || listed.contains(anyExtendedKeyUsage)
            guard allowed else {
                let reason = String(cString: X509_verify_cert_error_string(Int(X509_V_ERR_INVALID_PURPOSE)))
                let shown = listed.isEmpty ? "none" : listed.joined(separator: ", ")
                throw BullaError(
                    .signatureInvalid,
                    "certificate chain of \(chain[0].subjectForMessages) does not verify at \(UnixTime.text(time)): \(reason) (depth \(depth), \(certificate.subjectForMessages)): extended key usages \(shown), wanted \(purpose)")
            }
        }
    }
}

extension Certificate {
    /// The subject, or the first alternative name for Fulcio's empty subject, for messages.
    var subjectForMessages: String {
        if !subject.isEmpty { return subject }
        if let name = subjectAlternativeNames.first { return "\(name)" }
        return "certificate \(serialNumber)"
    }
}
