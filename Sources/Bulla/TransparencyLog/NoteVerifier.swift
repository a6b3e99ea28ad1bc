import BullaCrypto

/// A key that signs C2SP signed-notes, with the name and 4-byte key ID its signature lines
/// carry.
///
/// Ed25519 keys use C2SP key IDs: SHA-256(name || "\n" || 0x01 || key)[:4]. ECDSA keys use
/// the Rekor-style hint, SHA-256(SubjectPublicKeyInfo DER)[:4], as Sigstore's logs sign.
public struct NoteVerifier: Sendable, Hashable, CustomStringConvertible {
    /// The key name a signature line carries; it must match, with the key ID, for a line to be tried.
    public let name: String
    /// The 4-byte key ID prefixing each signature, so lines by other keys are skipped unverified.
    public let keyID: [UInt8]
    /// The public key signatures are checked with.
    public let key: VerifyingKey

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key follows.
    static let ed25519Prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// A verifier for `key` under `name`, its key ID derived as described above.
    public init(name: String, key: VerifyingKey) throws {
        try Self.checkName(name)
        self.name = name
        self.key = key
        switch key.algorithm {
        case .ed25519:
            keyID = Self.c2spKeyID(name: name, type: 0x01, key: Array(key.derRepresentation.dropFirst(Self.ed25519Prefix.count)))
        default:
            keyID = Array(Digest.compute(.sha256, over: key.derRepresentation).bytes.prefix(4))
        }
    }

    /// A C2SP verifier key: `name+hex(keyID)+base64(0x01 || Ed25519 key)`.
    public init(vkey: String) throws {
        func fail(_ reason: String) -> BullaError { BullaError(.malformedInput, "verifier key \"\(vkey.prefix(120))\": \(reason)") }
        // The key's base64 may itself hold `+`.
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw fail("expected name+keyid+key") }
        let name = String(parts[0])
        guard parts[1].count == 8, let id = Hex.decodeLowercase(Array(parts[1].utf8)) else { throw fail("the key ID is not 8 lower-case hex digits") }
        guard let raw = Base64.decode(String(parts[2])), raw.count == 33 else { throw fail("the key is not base64 of a type byte and 32 bytes") }
        guard raw[0] == 0x01 else { throw fail("key type \(raw[0]) is not Ed25519 (1)") }
        guard Self.c2spKeyID(name: name, type: 0x01, key: Array(raw.dropFirst())) == id else { throw fail("the key ID does not match the name and key") }
        try self.init(name: name, key: try VerifyingKey(derRepresentation: Self.ed25519Prefix + raw.dropFirst()))
    }

    static func c2spKeyID(name: String, type: UInt8, key: [UInt8]) -> [UInt8] {
        Array(Digest.compute(.sha256, over: Array(name.utf8) + [0x0A, type] + key).bytes.prefix(4))
    }

    /// Key names are non-empty and hold no space or `+` (signed-note).
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "+" || $0.isNewline }) else {
            throw BullaError(.malformedInput, "note key name \"\(name.prefix(80))\" is empty or holds a space, + or newline")
        }
    }

    /// `name+hex+base64`, for Ed25519 keys.
    public var vkey: String? {
        guard key.algorithm == .ed25519 else { return nil }
        return "\(name)+\(Hex.encode(keyID))+" + Base64.encode([0x01] + key.derRepresentation.dropFirst(Self.ed25519Prefix.count))
    }

    /// `name+hex(keyID)`, how messages name a known or unknown signer.
    public var description: String { "\(name)+\(Hex.encode(keyID))" }
}
