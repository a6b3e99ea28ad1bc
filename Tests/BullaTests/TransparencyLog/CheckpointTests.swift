import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// C2SP signed-notes and tlog-checkpoints against the C2SP examples, Go's note tests and real
/// Rekor checkpoints (Tests/BullaTests/Fixtures/checkpoints, origins in its README).
@Suite struct CheckpointTests {
    static let root = MerkleTests.fixtures.deletingLastPathComponent().appendingPathComponent("checkpoints")

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: root.appendingPathComponent(name))) }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self).trimmingCharacters(in: .newlines) }
    static func vkey(_ name: String) throws -> NoteVerifier { try NoteVerifier(vkey: try text(name)) }
    static var peter: NoteVerifier { get throws { try vkey("golang-mod/peterneumann.vkey") } }
    static var enoch: NoteVerifier { get throws { try vkey("golang-mod/enochroot.vkey") } }
    static var rekor: NoteVerifier { get throws { try NoteVerifier(name: "rekor.sigstore.dev", key: VerifyingKey(pemRepresentation: try bytes("rekor/rekor.sigstore.dev.pem"))) } }
    static var staging: NoteVerifier {
        get throws { try NoteVerifier(name: "log2025-alpha1.rekor.sigstage.dev", key: VerifyingKey(pemRepresentation: try bytes("rekor/log2025-alpha1.rekor.sigstage.dev.pem"))) }
    }

    @Test func signedNotesVerifyAsTheirSourcesSay() throws {
        try SignedNote(parsing: try Self.bytes("c2sp/signed-note-example.note")).verify(by: [try Self.vkey("c2sp/signed-note-example.vkey")])
        try SignedNote(parsing: try Self.bytes("golang-mod/peter.note")).verify(by: [try Self.peter])
        let both = try SignedNote(parsing: try Self.bytes("golang-mod/peter-enoch.note"))
        #expect(try both.verify(by: [try Self.peter, try Self.enoch]).count == 2)
        #expect(try both.verify(by: [try Self.peter]).count == 1)  // an unknown key's line is ignored
        try SignedNote(parsing: try Self.bytes("golang-mod/enoch-only.note")).verify(by: [try Self.enoch])
        #expect(throws: BullaError.self) { try SignedNote(parsing: try Self.bytes("golang-mod/enoch-only.note")).verify(by: [try Self.peter]) }
        #expect(performing: { try SignedNote(parsing: try Self.bytes("golang-mod/peter-invalid-sig.note")).verify(by: [try Self.peter]) },
                throws: { ($0 as? BullaError)?.message == "invalid signature for key PeterNeumann+c74f20a3" })
        #expect(throws: BullaError.self) { try SignedNote(parsing: try Self.bytes("derived/c2sp-signed-note-example.text-modified.note")).verify(by: [try Self.vkey("c2sp/signed-note-example.vkey")]) }
    }

    @Test(arguments: ["peter-101-sigs.note", "malformed-no-signatures.note", "malformed-no-sig-lines.note", "malformed-missing-final-newline.note",
                      "malformed-leading-0x01.note", "malformed-bad-name.note", "malformed-unexpected-line.note"])
    func malformedNotesAreRefused(_ name: String) throws {
        #expect(performing: { try SignedNote(parsing: try Self.bytes("golang-mod/\(name)")) }, throws: { ($0 as? BullaError)?.message.hasPrefix("malformed note") == true })
    }

    @Test func verifierKeys() throws {
        for line in try Self.text("golang-mod/bad-vkeys.txt").split(separator: "\n") {
            #expect(throws: BullaError.self, "\(line)") { try NoteVerifier(vkey: String(line)) }
        }
        _ = try Self.vkey("golang-mod/sum.golang.org.vkey")
        // The staging log's PEM key and its C2SP vkey are the same verifier.
        #expect(try Self.staging == (try Self.vkey("derived/log2025-alpha1.rekor.sigstage.dev.vkey")))
        #expect(try Self.peter.vkey == (try Self.text("golang-mod/peterneumann.vkey")))
    }

    @Test func checkpointBodies() throws {
        let tree = try Checkpoint(text: Array((try Self.text("golang-mod/sumdb-tree-body.txt") + "\n").utf8))
        #expect(tree.origin == "go.sum database tree" && tree.size == 123_456_789_012)
        #expect(tree.rootHash == MerkleHash.leaf(Array("hello world".utf8)))
        let example = try Checkpoint(text: try SignedNote(parsing: try Self.bytes("c2sp/tlog-checkpoint-example.note")).text)
        #expect(example.origin == "example.com/behind-the-sofa" && example.size == 20_852_163)
        let stamped = try Checkpoint.verified(try Self.bytes("rekor/rekor-prod-27657875-timestamp-line.checkpoint"), by: [try Self.rekor]).0
        #expect(stamped.extensions.first?.hasPrefix("Timestamp: ") == true)
    }

    static let valid = [
        "rekor/rekor-prod-649584076.checkpoint", "rekor/rekor-prod-75408393.checkpoint", "rekor/rekor-prod-75610772.checkpoint",
        "rekor/rekor2-staging-736.checkpoint", "rekor/rekor2-staging-736-cosigned.checkpoint", "rekor/rekor2-staging-736-multiple-cosigs.checkpoint",
        "rekor/rekor2-staging-736-origin-not-first.checkpoint", "rekor/rekor2-staging-736-two-sigs-cosigned.checkpoint",
        "rekor/rekor2-staging-736-two-sigs-from-origin.checkpoint",
    ]
    static let invalid = [
        "rekor/rekor-prod-23083062-invalid-signature.checkpoint", "rekor/rekor-prod-23083062-bad-keyhint.checkpoint",
        "rekor/rekor2-staging-736-missing-log-signature.checkpoint", "rekor/rekor2-staging-missing-origin.checkpoint",
        "rekor/rekor2-staging-missing-size.checkpoint", "rekor/rekor2-staging-missing-root-hash.checkpoint",
        "rekor/rekor2-staging-no-matching-signature.checkpoint", "derived/rekor-prod-649584076.root-byte-flipped.checkpoint",
        "derived/rekor-prod-649584076.signature-removed.checkpoint", "derived/rekor2-staging-736.root-byte-flipped.checkpoint",
        "derived/rekor2-staging-736.size-changed.checkpoint",
    ]

    @Test(arguments: valid)
    func realCheckpointsVerify(_ name: String) throws {
        _ = try Checkpoint.verified(try Self.bytes(name), by: [try Self.rekor, try Self.staging])
    }

    @Test(arguments: invalid)
    func brokenCheckpointsAreRefused(_ name: String) throws {
        #expect(throws: BullaError.self) { try Checkpoint.verified(try Self.bytes(name), by: [try Self.rekor, try Self.staging]) }
    }

    /// Real Rekor inclusion proofs recompute to their checkpoint's root, except the one whose
    /// checkpoint was given another root.
    @Test(arguments: ["rekor-prod-649584076", "rekor-prod-75408393", "rekor2-staging-736", "rekor-prod-75610772"])
    func realInclusionProofs(_ name: String) throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try Self.bytes("rekor/\(name).inclusion.json"))) as? [String: Any])
        let body = try #require(Base64.decode(json["leaf_canonicalizedBody_b64"] as? String ?? ""))
        let proof = InclusionProof(
            index: try #require((json["logIndex"] as? NSNumber)?.uint64Value), treeSize: try #require((json["treeSize"] as? NSNumber)?.uint64Value),
            hashes: (json["hashes_hex"] as? [String] ?? []).compactMap { Hex.decodeLowercase(Array($0.utf8)) })
        let checkpoint = try Checkpoint(text: try SignedNote(parsing: Array((json["checkpoint"] as? String ?? "").utf8)).text)
        let accepted = (try? proof.verify(leafHash: MerkleHash.leaf(body), root: checkpoint.rootHash)) != nil
        #expect(accepted == (json["expected"] as? String == "valid"), "\(name)")
    }

    /// A note Bulla signs verifies with Bulla, with Ed25519 and with ECDSA keys.
    @Test(arguments: [KeyAlgorithm.ed25519, .ecdsaP256])
    func signedCheckpointsRoundTrip(_ algorithm: KeyAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let checkpoint = Checkpoint(origin: "bulla.example/log", size: 5, rootHash: MerkleHash.leaf([1]))
        let note = try SignedNote.sign(checkpoint.text, name: "bulla.example/log", key: key)
        let verifier = try NoteVerifier(name: "bulla.example/log", key: key.publicKey)
        #expect(try Checkpoint.verified(note.serialized, by: [verifier], origin: "bulla.example/log").0 == checkpoint)
    }
}
