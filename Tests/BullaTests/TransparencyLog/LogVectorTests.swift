import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// spec/vectors/log: the example log audits clean with the example key, its root is the
/// reference tree's, and its stored proofs are the ones Bulla makes, and verify.
@Suite struct LogVectorTests {
    static let directory = SpecVectors.root.appendingPathComponent("log").path
    static let exampleKey = SpecVectors.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("keys-example/ed25519.pub").path

    @Test func theExampleLog() throws {
        let log = try TransparencyLog(opening: "\(Self.directory)/example", forWriting: false)
        let entries = (0..<300).map { Array("entry \($0)\n".utf8) }
        #expect(log.size == 300)
        #expect(log.root == MerkleTree(leaves: entries.map { MerkleHash.leaf($0) }).root())
        let verifier = try NoteVerifier(name: "bulla.example/log", key: try KeyFile.verifyingKey(Self.exampleKey))
        #expect(verifier.vkey == "bulla.example/log+0d0ca03a+AZlcxmw9aKP+/Xap3LmyHKD10Yi2cFVRwZJ3gkUpZh/C")
        let audit = try log.audit(verifier: verifier)
        #expect(audit.size == 300 && audit.root == log.root && audit.tilesChecked == 3)

        let inclusion = try JSONValue(parsing: try SpecVectors.bytes("log/inclusion-257.json"), what: "vector")
        let proof = try log.inclusionProof(index: 257, size: 300)
        #expect(inclusion["hashes"] == .array(proof.hashes.map { .string(Hex.encode($0)) }))
        #expect(inclusion["leafHash"]?.stringValue == Hex.encode(MerkleHash.leaf(entries[257])))
        try proof.verify(leafHash: MerkleHash.leaf(entries[257]), root: log.root)

        let consistency = try JSONValue(parsing: try SpecVectors.bytes("log/consistency-7-300.json"), what: "vector")
        let step = try log.consistencyProof(from: 7, to: 300)
        #expect(consistency["hashes"] == .array(step.hashes.map { .string(Hex.encode($0)) }))
        try step.verify(oldRoot: try log.root(size: 7), newRoot: log.root)
    }
}
