import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An X.509 certificate (RFC 5280), read once from its DER: what a keyless (Fulcio) or
/// enterprise-CA signature names as its signer.
///
/// Every field is read and checked when the value is made, so a certificate that exists has a
/// readable subject, validity, extensions and names; equality is on the DER bytes. The parsed
/// `X509` stays in a private owner for chain and SCT verification.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    /// Largest DER accepted: a Fulcio certificate is about 2 KiB, the largest CA certificates 8.
    public static let maximumSize = 64 * 1024
    /// Most certificates `certificates(pem:)` reads from one text, well above a CA bundle's ~150.
    public static let maximumPEMCertificates = 1024

    /// The `X509` the DER parsed into; chain and SCT verification use it.
    let box: X509Box
    /// The certificate exactly as given: the bytes digests, equality and storage use.
    public let derRepresentation: [UInt8]
    /// The subject name as RFC 2253 text ("CN=…,O=…"); empty for Fulcio's empty subject.
    public let subject: String
    /// The issuer name as RFC 2253 text, to tell which CA issued the certificate.
    public let issuer: String
    /// The serial number as lower-case hex of its magnitude ("-" before a negative one).
    public let serialNumber: String
    /// Start of validity, Unix seconds: chains are checked at a proven time against it.
    public let notBefore: Int64
    /// End of validity, Unix seconds; OpenSSL's chain check counts this second already expired (RFC 5280: still valid).
    public let notAfter: Int64
    /// Whether basicConstraints says CA: a signature's leaf must not be one.
    public let isCA: Bool
    /// The keyUsage bits, nil when the extension is absent (every use allowed).
    public let keyUsage: KeyUsage?
    /// The extendedKeyUsage purposes as dotted OIDs (code signing is 1.3.6.1.5.5.7.3.3).
    public let extendedKeyUsage: [String]
    /// The subjectAltName entries in certificate order: where a keyless identity is written.
    public let subjectAlternativeNames: [SubjectAlternativeName]
    /// The DER SubjectPublicKeyInfo: hashed for SCTs, and the key `publicKey` reads.
    public let subjectPublicKeyInfo: [UInt8]
    /// Each extension's OID and extnValue octets, for the extensions OpenSSL does not name.
    private let extensions: [(oid: String, value: [UInt8])]

    /// Reads one DER certificate, refusing trailing bytes, more than ``maximumSize``, bad or repeated extensions.
    public init(derEncoded der: [UInt8]) throws {
        guard der.count <= Self.maximumSize else {
            throw BullaError(.limitExceeded, "certificate of \(der.count) bytes, more than the \(Self.maximumSize) allowed")
        }
        box = try X509Box(der: der)
        derRepresentation = der
        let x509 = box.pointer
        subject = try Self.text(of: X509_get_subject_name(x509))
        issuer = try Self.text(of: X509_get_issuer_name(x509))
        serialNumber = Self.serial(X509_get0_serialNumber(x509))
        notBefore = try Self.unixTime(X509_get0_notBefore(x509), "notBefore")
        notAfter = try Self.unixTime(X509_get0_notAfter(x509), "notAfter")
        let flags = X509_get_extension_flags(x509)
        guard flags & UInt32(EXFLAG_INVALID) == 0 else {
            throw BullaError(.malformedInput, "certificate \(subject) has an extension that does not decode or appears twice", underlying: OpenSSLCall.drainErrorQueue())
        }
        isCA = flags & UInt32(EXFLAG_BCONS) != 0 && flags & UInt32(EXFLAG_CA) != 0
        keyUsage = flags & UInt32(EXFLAG_KUSAGE) != 0 ? KeyUsage(rawValue: UInt16(truncatingIfNeeded: X509_get_key_usage(x509))) : nil
        extensions = try Self.extensions(of: x509)
        extendedKeyUsage = try Self.extendedKeyUsage(of: x509)
        subjectAlternativeNames = try Self.alternativeNames(of: x509)
        subjectPublicKeyInfo = try Self.publicKeyInfo(of: x509)
    }

    /// Every `CERTIFICATE` block of a chain or bundle file, in order; other blocks are skipped, a text with none refused.
    public static func certificates(pem: [UInt8]) throws -> [Certificate] {
        let lines = String(decoding: pem, as: UTF8.self).split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.trimmingSuffix(while: { $0 == "\r" || $0 == " " || $0 == "\t" }) }
        var found: [Certificate] = []
        var index = 0
        while index < lines.count {
            defer { index += 1 }
            guard lines[index].hasPrefix("-----BEGIN "), lines[index].hasSuffix("-----") else { continue }
            let label = lines[index].dropFirst(11).dropLast(5)
            guard let end = lines[(index + 1)...].firstIndex(of: "-----END \(label)-----") else {
                throw BullaError(.malformedInput, "the \(label) block at line \(index + 1) has no END line")
            }
            defer { index = end }
            guard label == "CERTIFICATE" else { continue }
            guard found.count < maximumPEMCertificates else {
                throw BullaError(.limitExceeded, "more than \(maximumPEMCertificates) certificates in one PEM text")
            }
            guard let der = Base64.decode(lines[(index + 1)..<end].joined()), !der.isEmpty else {
                throw BullaError(.malformedInput, "the CERTIFICATE block at line \(index + 1) is not base64")
            }
            do {
                found.append(try Certificate(derEncoded: der))
            } catch let error as BullaError {
                throw error.prefixed("CERTIFICATE block at line \(index + 1)")
            }
        }
        guard !found.isEmpty else { throw BullaError(.malformedInput, "no -----BEGIN CERTIFICATE----- block") }
        return found
    }

    /// The key that checks what the certificate's holder signed; keys ``VerifyingKey`` refuses (RSA…) are refused.
    public var publicKey: VerifyingKey {
        get throws { try VerifyingKey(derRepresentation: subjectPublicKeyInfo) }
    }

    /// The raw extnValue octets of extension `oid` (dotted), for those without a field here; nil when absent.
    public func extensionValue(oid: String) -> [UInt8]? {
        extensions.first { $0.oid == oid }?.value
    }

    /// A `CERTIFICATE` PEM block of the DER, the form chain files and `openssl x509` use.
    public var pemRepresentation: String { PEM.encode(derRepresentation, label: "CERTIFICATE") }

    /// Subject, issuer and validity: enough to tell certificates apart in messages.
    public var description: String {
        "certificate \(subject.isEmpty ? "(empty subject)" : subject) issued by \(issuer), valid \(UnixTime.text(notBefore)) to \(UnixTime.text(notAfter))"
    }

    /// Same certificate when the DER is the same.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.derRepresentation == rhs.derRepresentation }
    /// Hashes the DER, to agree with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }
}

extension Certificate {
    /// RFC 2253 text of a name, UTF-8 kept as is.
    private static func text(of name: OpaquePointer?) throws -> String {
        let bio = try OpenSSLCall.check(BIO_new(BIO_s_mem()), "cannot allocate a memory BIO")
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, bulla_name_print_flags()) >= 0 else {
            throw OpenSSLCall.failure("certificate name does not print", code: .malformedInput)
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = bulla_bio_get_mem_data(bio, &data)
        guard length > 0, let data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func serial(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String {
        let magnitude = Hex.encode(bytes(of: integer))
        let sign = ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER ? "-" : ""
        return sign + (magnitude.isEmpty ? "00" : magnitude)
    }

    /// An ASN1_TIME as Unix seconds, read through OpenSSL's own calendar conversion.
    private static func unixTime(_ time: UnsafePointer<ASN1_TIME>?, _ field: String) throws -> Int64 {
        var calendar = tm()
        guard ASN1_TIME_to_tm(time, &calendar) == 1 else {
            throw OpenSSLCall.failure("certificate \(field) is not a valid time", code: .malformedInput)
        }
        return UnixTime.seconds(
            year: Int64(calendar.tm_year) + 1900, month: Int64(calendar.tm_mon) + 1, day: Int64(calendar.tm_mday),
            hour: Int64(calendar.tm_hour), minute: Int64(calendar.tm_min), second: Int64(calendar.tm_sec))
    }

    /// Every extension's OID and value; a second extension with the same OID is refused
    /// (RFC 5280 §4.2), so `extensionValue(oid:)` has one answer.
    private static func extensions(of x509: OpaquePointer) throws -> [(oid: String, value: [UInt8])] {
        var out: [(oid: String, value: [UInt8])] = []
        for index in 0..<max(0, X509_get_ext_count(x509)) {
            let entry = X509_get_ext(x509, index)
            let oid = oidText(X509_EXTENSION_get_object(entry))
            guard !out.contains(where: { $0.oid == oid }) else {
                throw BullaError(.malformedInput, "certificate has the extension \(oid) twice")
            }
            out.append((oid, bytes(of: X509_EXTENSION_get_data(entry).map { UnsafePointer($0) })))
        }
        return out
    }

    private static func extendedKeyUsage(of x509: OpaquePointer) throws -> [String] {
        guard let decoded = try decodedExtension(x509, NID_ext_key_usage, "extendedKeyUsage") else { return [] }
        defer { EXTENDED_KEY_USAGE_free(decoded) }
        return (0..<max(0, OPENSSL_sk_num(decoded))).map { oidText(OpaquePointer(OPENSSL_sk_value(decoded, $0))) }
    }

    private static func alternativeNames(of x509: OpaquePointer) throws -> [SubjectAlternativeName] {
        guard let decoded = try decodedExtension(x509, NID_subject_alt_name, "subjectAltName") else { return [] }
        defer { GENERAL_NAMES_free(decoded) }
        return try (0..<max(0, OPENSSL_sk_num(decoded))).map { index in
            guard let name = OPENSSL_sk_value(decoded, index)?.assumingMemoryBound(to: GENERAL_NAME.self).pointee else {
                throw BullaError(.malformedInput, "empty subjectAltName entry")
            }
            return try alternativeName(name)
        }
    }

    private static func alternativeName(_ name: GENERAL_NAME) throws -> SubjectAlternativeName {
        switch name.type {
        case GEN_EMAIL: return .email(try ia5(name.d.rfc822Name, "email"))
        case GEN_URI: return .uri(try ia5(name.d.uniformResourceIdentifier, "URI"))
        case GEN_DNS: return .dns(try ia5(name.d.dNSName, "DNS name"))
        case GEN_OTHERNAME:
            guard let other = name.d.otherName?.pointee else { throw BullaError(.malformedInput, "empty otherName") }
            var value: String?
            if let any = other.value?.pointee, any.type == V_ASN1_UTF8STRING {
                value = String(validating: bytes(of: UnsafePointer(any.value.utf8string)), as: UTF8.self)
            }
            return .other(oid: oidText(other.type_id), value: value)
        default: return .unsupported(tag: Int(name.type))
        }
    }

    /// An IA5String's text, refusing bytes outside ASCII and NUL (no name hides a second one).
    private static func ia5(_ string: UnsafeMutablePointer<ASN1_STRING>?, _ kind: String) throws -> String {
        let raw = bytes(of: UnsafePointer(string))
        guard raw.allSatisfy({ $0 != 0 && $0 < 0x80 }) else {
            throw BullaError(.malformedInput, "subjectAltName \(kind) is not IA5 text")
        }
        return String(decoding: raw, as: UTF8.self)
    }

    /// The decoded extension `nid`, nil when absent; present but undecodable is refused.
    private static func decodedExtension(_ x509: OpaquePointer, _ nid: Int32, _ name: String) throws -> OpaquePointer? {
        var critical: Int32 = 0
        let decoded = X509_get_ext_d2i(x509, nid, &critical, nil)
        guard let decoded else {
            // -1: absent. Anything else (-2 duplicated, or present but not decodable) is refused.
            guard critical == -1 else { throw OpenSSLCall.failure("certificate \(name) does not decode", code: .malformedInput) }
            return nil
        }
        return OpaquePointer(decoded)
    }

    private static func publicKeyInfo(of x509: OpaquePointer) throws -> [UInt8] {
        guard let key = X509_get_X509_PUBKEY(x509) else {
            throw OpenSSLCall.failure("certificate has no public key", code: .malformedInput)
        }
        return try encode(key, i2d_X509_PUBKEY)
    }

    /// The DER OpenSSL's `i2d` function writes for `object`.
    static func encode<Object>(_ object: Object, _ i2d: (Object, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
        let length = i2d(object, nil)
        guard length > 0 else { throw OpenSSLCall.failure("cannot encode a certificate structure", code: .internalFailure) }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d(object, &cursor)
        }
        guard written == length else { throw OpenSSLCall.failure("cannot encode a certificate structure", code: .internalFailure) }
        return out
    }

    /// The content bytes of an ASN1_STRING (octets, IA5, integer magnitude).
    static func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(max(0, ASN1_STRING_length(string)))))
    }

    /// An OID in dotted form ("1.3.6.1.5.5.7.3.3"), never OpenSSL's short name.
    static func oidText(_ object: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        let needed = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        if needed >= Int32(buffer.count) {
            buffer = [CChar](repeating: 0, count: Int(needed) + 1)
            _ = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// MARK: small readers shared by the certificate files
