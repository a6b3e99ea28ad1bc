import BullaCrypto

/// A C2SP signed-note: UTF-8 text ending in a newline, a blank line, and one or more signature
/// lines `— NAME BASE64(keyID[4] || signature)`.
public struct SignedNote: Sendable, Hashable {
    /// One signature line: the signer's name and key ID, and the signature over the text.
    public struct Signature: Sendable, Hashable {
        /// The key name, which picks the verifier along with the key ID.
        public var name: String
        /// The 4-byte key ID from the line's base64, which picks the verifier along with the name.
        public var keyID: [UInt8]
        /// The signature over `text`, after the key ID.
        public var signature: [UInt8]
    }

    /// The signed text, with its final newline.
    public var text: [UInt8]
    /// Every signature line in order; unknown signers are kept so witnesses can cosign.
    public var signatures: [Signature]

    /// The most signature lines read, so a note cannot make a verifier try without end.
    public static let maxSignatures = 100
    private static let dash = Array("— ".utf8)

    /// Parses a note, refusing anything malformed: control characters in the text, no blank line
    /// before the signatures, no signature, a line that is not a signature, a missing final
    /// newline, more than 100 signatures, a key name with a space or `+`.
    public init(parsing bytes: [UInt8]) throws {
        func fail(_ reason: String) -> BullaError { BullaError(.malformedInput, "malformed note: \(reason)") }
        guard bytes.count <= TileLayout.maxCheckpointBytes else { throw fail("more than 1 MiB") }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw fail("not UTF-8") }
        guard !decoded.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw fail("a control character other than newline")
        }
        guard let split = Self.lastBlankLine(bytes) else { throw fail("no blank line before the signatures") }
        text = Array(bytes[...split])
        let block = bytes[(split + 2)...]
        guard block.last == 0x0A else { throw fail("the signature block does not end with a newline") }
        let lines = block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
        guard !lines.isEmpty, !(lines.count == 1 && lines[0].isEmpty) else { throw fail("no signature lines") }
        guard lines.count <= Self.maxSignatures else { throw fail("more than \(Self.maxSignatures) signatures") }
        signatures = try lines.map { line in
            guard line.starts(with: Self.dash) else { throw fail("a line after the blank line is not a signature") }
            let rest = line.dropFirst(Self.dash.count)
            guard let space = rest.lastIndex(of: 0x20) else { throw fail("a signature line has no signature") }
            let name = String(decoding: rest[..<space], as: UTF8.self)
            do { try NoteVerifier.checkName(name) } catch { throw fail("key name \"\(name.prefix(80))\" holds a space or +") }
            guard let raw = Base64.decode(String(decoding: rest[(space + 1)...], as: UTF8.self)), raw.count > 4 else {
                throw fail("the signature of \(name) is not base64 of a key ID and a signature")
            }
            return Signature(name: name, keyID: Array(raw.prefix(4)), signature: Array(raw.dropFirst(4)))
        }
    }

    private static func lastBlankLine(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == 0x0A && bytes[i + 1] == 0x0A { return i }
            i -= 1
        }
        return nil
    }

    /// A note from its parts; ``sign(_:name:key:)`` makes one signed.
    public init(text: [UInt8], signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` (which must end with a newline) as `name`.
    public static func sign(_ text: [UInt8], name: String, key: SigningKey) throws -> SignedNote {
        guard text.last == 0x0A, !text.dropLast().isEmpty else { throw BullaError(.invalidArgument, "a note's text ends with a newline") }
        let verifier = try NoteVerifier(name: name, key: key.publicKey)
        return SignedNote(text: text, signatures: [Signature(name: name, keyID: verifier.keyID, signature: try key.signature(for: text))])
    }

    /// The note's bytes: text, blank line, then one `— NAME BASE64` line per signature.
    public var serialized: [UInt8] {
        var out = text
        out.append(0x0A)
        for signature in signatures {
            out += Self.dash + Array(signature.name.utf8) + [0x20] + Array(Base64.encode(signature.keyID + signature.signature).utf8) + [0x0A]
        }
        return out
    }

    /// The known verifiers whose signatures verify. Signatures by unknown keys are ignored (so
    /// witnesses can cosign), a known key's bad signature is an error, and at least one known
    /// signature must verify.
    @discardableResult
    public func verify(by verifiers: [NoteVerifier]) throws -> [NoteVerifier] {
        var verified: [NoteVerifier] = []
        for signature in signatures {
            guard let verifier = verifiers.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else { continue }
            guard verifier.key.isValidSignatureAnyEncoding(signature.signature, for: text) else {
                throw BullaError(.signatureInvalid, "invalid signature for key \(verifier)")
            }
            if !verified.contains(verifier) { verified.append(verifier) }
        }
        guard !verified.isEmpty else {
            let named = signatures.map { "\($0.name)+\(Hex.encode($0.keyID))" }.joined(separator: ", ")
            throw BullaError(.signatureInvalid, "no signature by a known key (signed by \(named); known: \(verifiers.map(\.description).joined(separator: ", ")))")
        }
        return verified
    }
}
