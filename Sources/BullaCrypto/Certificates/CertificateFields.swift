import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The keyUsage extension's bits (RFC 5280 §4.2.1.3), valued as OpenSSL reads them: the BIT
/// STRING's first byte, then its second byte shifted left by eight.
public struct KeyUsage: OptionSet, Sendable, Hashable {
    /// The bits as OpenSSL's `KU_*` constants hold them.
    public let rawValue: UInt16
    /// Wraps bits read from a certificate.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Signing anything but certificates and CRLs: what a code-signing leaf needs.
    public static let digitalSignature = KeyUsage(rawValue: 0x0080)
    /// Content commitment (the old name is kept, as OpenSSL keeps it).
    public static let nonRepudiation = KeyUsage(rawValue: 0x0040)
    /// Encrypting keys for transport.
    public static let keyEncipherment = KeyUsage(rawValue: 0x0020)
    /// Encrypting data directly.
    public static let dataEncipherment = KeyUsage(rawValue: 0x0010)
    /// Key agreement (ECDH).
    public static let keyAgreement = KeyUsage(rawValue: 0x0008)
    /// Signing certificates: a CA's bit.
    public static let keyCertSign = KeyUsage(rawValue: 0x0004)
    /// Signing revocation lists.
    public static let cRLSign = KeyUsage(rawValue: 0x0002)
    /// With keyAgreement, only to encrypt.
    public static let encipherOnly = KeyUsage(rawValue: 0x0001)
    /// With keyAgreement, only to decrypt.
    public static let decipherOnly = KeyUsage(rawValue: 0x8000)
}

/// One subjectAltName entry (RFC 5280 §4.2.1.6): where Fulcio writes the signer's identity.
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    /// rfc822Name: an email identity.
    case email(String)
    /// uniformResourceIdentifier: a workflow or service identity.
    case uri(String)
    /// dNSName.
    case dns(String)
    /// otherName by type OID, with its UTF8String value (Fulcio's username SAN is 1.3.6.1.4.1.57264.1.7).
    case other(oid: String, value: String?)
    /// Any other kind (IP address, directory name…) by its GeneralName tag: no identity matches it.
    case unsupported(tag: Int)

    /// The kind and value, as `openssl x509 -text` shows them.
    public var description: String {
        switch self {
        case .email(let value): "email:\(value)"
        case .uri(let value): "URI:\(value)"
        case .dns(let value): "DNS:\(value)"
        case .other(let oid, let value): "othername:\(oid)\(value.map { ":\($0)" } ?? "")"
        case .unsupported(let tag): "GeneralName [\(tag)]"
        }
    }
}
