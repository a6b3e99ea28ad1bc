import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An RFC 3161 timestamp: a time-stamping authority's signed statement that a hash existed at
/// its `genTime`. Sigstore bundles carry one per `rfc3161Timestamps[].signedTimestamp`, over the
/// bundle's signature bytes, so a short-lived certificate can be judged at a time a third party
/// vouches for (Rekor v2 logs no longer sign an integration time).
///
/// The DER may be a whole `TimeStampResp` (status and token, what Sigstore's TSA answers and
/// bundles carry) or a bare `TimeStampToken` (a CMS `ContentInfo`); both are read. Fields read at
/// parse time are claims until ``verify(over:chain:)`` has checked the signature over them.
public struct TimestampToken: Sendable, Hashable {
    /// Largest encoding read: real responses are 0.5–2 KiB, with an embedded chain.
    public static let maxBytes = 64 << 10

    /// The bytes as given, response or bare token.
    public let derRepresentation: [UInt8]
    /// `TSTInfo.genTime` in Unix seconds (fractions dropped); trusted once verified.
    public let generationTime: Int
    /// The hash of `messageImprint`: SHA-256, SHA-384 or SHA-512; anything else is refused.
    public let hashAlgorithm: DigestAlgorithm
    /// The hash the authority signed; it must be the hash of the timestamped bytes.
    public let messageImprint: [UInt8]

    /// Reads a `TimeStampResp` or a `TimeStampToken`; refuses more than ``maxBytes``, trailing
    /// bytes, a response without a token (a refused request), and a digest other than SHA-2.
    public init(derRepresentation der: [UInt8]) throws {
        guard !der.isEmpty else { throw BullaError(.malformedInput, "RFC 3161 timestamp is empty") }
        guard der.count <= Self.maxBytes else {
            throw BullaError(.limitExceeded, "RFC 3161 timestamp is \(der.count) bytes, more than the limit of \(Self.maxBytes)")
        }
        let parsed = try ParsedTimestamp(der: der)
        derRepresentation = der
        (generationTime, hashAlgorithm, messageImprint) = try parsed.fields()
    }

    /// Checks the timestamp against one authority's certificate chain (DER, leaf first, as a
    /// trusted root lists it) and returns `genTime`:
    /// - the CMS signature verifies under a certificate that chains to the chain's last
    ///   certificate, checked at `genTime` (so a chain that has since expired still counts, and
    ///   a time outside the TSA certificate's validity does not), with the timeStamping usage,
    ///   and the ESS signing-certificate attribute names it;
    /// - when the chain has more than one certificate, the signer is its first (the authority's
    ///   own TSA certificate), whether or not the token embeds it;
    /// - `messageImprint` is the hash of `message`, with the token's algorithm.
    /// The authority's validity window in the trusted root is the caller's to check.
    public func verify(over message: [UInt8], chain: [[UInt8]]) throws -> Int {
        guard !chain.isEmpty else { throw BullaError(.invalidArgument, "timestamp authority has no certificates") }
        let imprint = Digest.compute(hashAlgorithm, over: message).bytes
        guard imprint == messageImprint else {
            throw BullaError(.signatureInvalid, "timestamp: the message imprint is \(Hex.encode(messageImprint).prefix(16))…, "
                + "not the \(hashAlgorithm.rawValue) of the timestamped signature (\(Hex.encode(imprint).prefix(16))…)")
        }
        let parsed = try ParsedTimestamp(der: derRepresentation)
        let certificates = try CertificateList(chain)
        let signer = try certificates.verifiedSigner(of: parsed.token, at: generationTime)
        defer { X509_free(signer) }
        if chain.count > 1, X509_cmp(signer, certificates.pointers[0]) != 0 {
            throw BullaError(.signatureInvalid, "timestamp: signed by a certificate other than the authority's TSA certificate")
        }
        try parsed.checkVersionAndImprint(message)
        return generationTime
    }
}

/// A decoded response or token, freed with it; OpenSSL pointers never leave this file.
private final class ParsedTimestamp {
    /// The `TS_RESP`, which owns `token` and `info`; nil for a bare token.
    let response: OpaquePointer?
    let token: UnsafeMutablePointer<PKCS7>
    let info: OpaquePointer

    init(der: [UInt8]) throws {
        if let response = Self.decode(der, { d2i_TS_RESP(nil, $0, der.count) }, free: { TS_RESP_free($0) }) {
            guard let token = TS_RESP_get_token(response), let info = TS_RESP_get_tst_info(response) else {
                TS_RESP_free(response)
                throw BullaError(.signatureInvalid, "RFC 3161 timestamp response carries no token (the request was refused)")
            }
            (self.response, self.token, self.info) = (response, token, info)
            return
        }
        guard let token = Self.decode(der, { d2i_PKCS7(nil, $0, der.count) }, free: { PKCS7_free($0) }) else {
            throw OpenSSLCall.failure("RFC 3161 timestamp is neither a DER TimeStampResp nor a TimeStampToken", code: .malformedInput)
        }
        guard let info = PKCS7_to_TS_TST_INFO(token) else {
            PKCS7_free(token)
            throw OpenSSLCall.failure("RFC 3161 timestamp token does not sign a TSTInfo", code: .malformedInput)
        }
        (response, self.token, self.info) = (nil, token, info)
    }

    deinit {
        if let response {
            TS_RESP_free(response)
        } else {
            TS_TST_INFO_free(info)
            PKCS7_free(token)
        }
    }

    /// One d2i call that must consume every byte; a failed attempt leaves nothing on the queue.
    private static func decode<T>(
        _ der: [UInt8], _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>) -> T?, free: (T) -> Void
    ) -> T? {
        der.withUnsafeBufferPointer { buffer -> T? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let value = d2i(&cursor)
            _ = OpenSSLCall.drainErrorQueue()
            guard let value else { return nil }
            guard cursor == buffer.baseAddress! + buffer.count else {
                free(value)
                return nil
            }
            return value
        }
    }

    /// genTime, the imprint's algorithm and the imprint itself.
    func fields() throws -> (Int, DigestAlgorithm, [UInt8]) {
        guard let time = TS_TST_INFO_get_time(info) else { throw BullaError(.malformedInput, "RFC 3161 TSTInfo has no genTime") }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else {
            throw OpenSSLCall.failure("RFC 3161 TSTInfo genTime is not a valid GeneralizedTime", code: .malformedInput)
        }
        guard let imprint = TS_TST_INFO_get_msg_imprint(info), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
              let hash = TS_MSG_IMPRINT_get_msg(imprint) else {
            throw BullaError(.malformedInput, "RFC 3161 TSTInfo has no messageImprint")
        }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        let digest: DigestAlgorithm
        switch OBJ_obj2nid(object) {
        case NID_sha256: digest = .sha256
        case NID_sha384: digest = .sha384
        case NID_sha512: digest = .sha512
        default: throw BullaError(.unsupported, "RFC 3161 messageImprint hash is not SHA-256, SHA-384 or SHA-512")
        }
        let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(hash), count: Int(ASN1_STRING_length(hash))))
        guard bytes.count == digest.byteCount else {
            throw BullaError(.malformedInput, "RFC 3161 messageImprint is \(bytes.count) bytes, not a \(digest.rawValue) digest")
        }
        return (Int(timegm(&parts)), digest, bytes)
    }

    /// OpenSSL's own checks of what the signature check left: the TSTInfo version, the response
    /// status (granted), and the imprint over `message`.
    func checkVersionAndImprint(_ message: [UInt8]) throws {
        let context = try OpenSSLCall.check(TS_VERIFY_CTX_new(), "cannot allocate a timestamp verifier")
        defer { TS_VERIFY_CTX_free(context) }
        let data = try OpenSSLCall.check(BIO_new(BIO_s_mem()), "cannot allocate a memory BIO")
        guard message.withUnsafeBytes({ BIO_write(data, $0.baseAddress, Int32($0.count)) }) == Int32(message.count) || message.isEmpty else {
            BIO_free(data)
            throw OpenSSLCall.failure("cannot buffer the timestamped signature", code: .internalFailure)
        }
        TS_VERIFY_CTX_set_data(context, data)  // the context owns the BIO from here
        TS_VERIFY_CTX_set_flags(context, Int32(TS_VFY_VERSION | TS_VFY_DATA))
        let status = response.map { TS_RESP_verify_response(context, $0) } ?? TS_RESP_verify_token(context, token)
        try OpenSSLCall.check(status, "timestamp: the response status, version or imprint is not acceptable", code: .signatureInvalid)
    }
}

/// A chain's certificates as OpenSSL objects, freed together.
private final class CertificateList {
    let pointers: [OpaquePointer]

    init(_ chain: [[UInt8]]) throws {
        var pointers: [OpaquePointer] = []
        for (index, der) in chain.enumerated() {
            let certificate = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                let parsed = d2i_X509(nil, &cursor, buffer.count)
                if let parsed, cursor != buffer.baseAddress! + buffer.count {
                    X509_free(parsed)
                    return nil
                }
                return parsed
            }
            guard let certificate else {
                pointers.forEach { X509_free($0) }
                throw OpenSSLCall.failure("timestamp authority certificate \(index) is not DER X.509", code: .malformedInput)
            }
            pointers.append(certificate)
        }
        self.pointers = pointers
    }

    deinit { pointers.forEach { X509_free($0) } }

    /// The error queue's first entry with its detail text, which for a chain that does not
    /// verify says why ("Verify error:certificate has expired"); the queue is emptied.
    static func drainWithDetail() -> String? {
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        let packed = ERR_get_error_all(nil, nil, nil, &data, &flags)
        guard packed != 0 else { return OpenSSLCall.drainErrorQueue() }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(packed, &buffer, buffer.count)
        var text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let data, flags & ERR_TXT_STRING != 0 { text += ": " + String(cString: data) }
        _ = OpenSSLCall.drainErrorQueue()
        return text
    }

    /// `TS_RESP_verify_signature` with the last certificate as the only trust anchor, the
    /// others as untrusted intermediates, the chain checked at `time`. Returns the signer, which
    /// the caller frees.
    func verifiedSigner(of token: UnsafeMutablePointer<PKCS7>, at time: Int) throws -> OpaquePointer {
        let store = try OpenSSLCall.check(X509_STORE_new(), "cannot allocate a certificate store")
        defer { X509_STORE_free(store) }
        try OpenSSLCall.check(X509_STORE_add_cert(store, pointers.last!), "cannot add the timestamp authority's root")
        let parameters = X509_STORE_get0_param(store)
        X509_VERIFY_PARAM_set_time(parameters, time_t(time))
        // The chain's last certificate is the anchor even when it is not self-signed.
        X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        let untrusted = try OpenSSLCall.check(OPENSSL_sk_new_null(), "cannot allocate a certificate stack")
        defer { OPENSSL_sk_free(untrusted) }
        for certificate in pointers.dropLast() where OPENSSL_sk_push(untrusted, UnsafeRawPointer(certificate)) == 0 {
            throw OpenSSLCall.failure("cannot build the timestamp authority's chain", code: .internalFailure)
        }
        var signer: OpaquePointer?
        let status = TS_RESP_verify_signature(token, untrusted, store, &signer)
        guard status == 1, let signer else {
            if let signer { X509_free(signer) }
            throw BullaError(.signatureInvalid,
                             "timestamp: the TSA signature does not verify under a certificate chaining to this authority at genTime \(time)",
                             underlying: Self.drainWithDetail())
        }
        return signer
    }
}
