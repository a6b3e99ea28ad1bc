import BullaCrypto

/// A C2SP tlog-checkpoint body: the log's origin, its size, its root hash, and optional
/// extension lines (Rekor v1 writes `Timestamp: …`).
public struct Checkpoint: Sendable, Hashable {
    /// The log's name; a verifier pins it so a checkpoint of another log is not taken for this one's.
    public var origin: String
    /// How many entries the tree holds: proofs are made against a tree of exactly this size.
    public var size: UInt64
    /// The RFC 9162 Merkle root of those entries, what inclusion and consistency proofs lead to.
    public var rootHash: [UInt8]
    /// Lines after the root hash, kept verbatim because they are signed with the rest.
    public var extensions: [String]

    /// A checkpoint from its parts, as a log makes one to sign as a note.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses a note's text; every field is required and strict (decimal size without leading
    /// zeros, base64 of exactly 32 bytes, no empty extension line).
    public init(text: [UInt8]) throws {
        func fail(_ reason: String) -> BullaError { BullaError(.malformedInput, "malformed checkpoint: \(reason)") }
        guard text.last == 0x0A else { throw fail("it does not end with a newline") }
        let lines = text.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else { throw fail("an origin, a size and a root hash are required") }
        guard !lines[0].isEmpty else { throw fail("the origin is empty") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else { throw fail("size \"\(lines[1].prefix(40))\" is not a decimal number") }
        guard let root = Base64.decode(lines[2]), root.count == MerkleHash.size else { throw fail("the root hash is not base64 of 32 bytes") }
        guard !lines.dropFirst(3).contains(where: \.isEmpty) else { throw fail("an empty extension line") }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: Array(lines.dropFirst(3)))
    }

    /// The note text that is signed: origin, size, base64 root and extensions, one per line (C2SP).
    public var text: [UInt8] {
        Array(([origin, String(size), Base64.encode(rootHash)] + extensions).map { $0 + "\n" }.joined().utf8)
    }

    /// Parses and verifies a signed checkpoint: the note must carry a valid signature by one of
    /// `verifiers`, and, when `origin` is given, name that origin.
    public static func verified(_ note: [UInt8], by verifiers: [NoteVerifier], origin: String? = nil) throws -> (Checkpoint, SignedNote) {
        let signed = try SignedNote(parsing: note)
        let checkpoint = try Checkpoint(text: signed.text)
        if let origin, checkpoint.origin != origin {
            throw BullaError(.signatureInvalid, "checkpoint origin is \"\(checkpoint.origin)\", not \"\(origin)\"")
        }
        try signed.verify(by: verifiers)
        return (checkpoint, signed)
    }
}
