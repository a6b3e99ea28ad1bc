/// The signature algorithms Bulla signs and verifies with (DESIGN.md "Keys").
///
/// Each is a fixed pairing of curve and hash, so a key alone says how to verify: ECDSA P-256
/// with SHA-256 (cosign's default), ECDSA P-384 with SHA-384, and Ed25519 (which hashes
/// internally).
public enum KeyAlgorithm: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case ed25519

    /// The hash signed over; nil for Ed25519, which signs the message itself.
    public var digest: DigestAlgorithm? {
        switch self {
        case .ecdsaP256: .sha256
        case .ecdsaP384: .sha384
        case .ed25519: nil
        }
    }

    /// The raw name (`ecdsa-p256`…), as key listings and messages show it.
    public var description: String { rawValue }
}
