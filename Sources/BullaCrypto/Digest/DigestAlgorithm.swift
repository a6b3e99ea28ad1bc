/// A hash function Bulla computes through OpenSSL.
///
/// SHA-256 is what OCI registries and cosign use; SHA-512 is the other algorithm the OCI
/// image-spec registers (descriptor.md, "Registered algorithms"); SHA-384 is here because
/// ECDSA P-384 signatures hash with it.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case sha256
    case sha384
    case sha512

    /// Length of the raw digest in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The name OpenSSL's `EVP_MD_fetch` knows it by.
    var openSSLName: String {
        switch self {
        case .sha256: "SHA256"
        case .sha384: "SHA384"
        case .sha512: "SHA512"
        }
    }
}
