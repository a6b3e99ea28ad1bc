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
        let audit = try LogAuditor(log: log).audit(verifier: verifier)
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

/// spec/vectors/log/receipt-257.json and paths.json: what `bulla log serve` answers and which
/// request paths it serves.
@Suite struct LogServerVectorTests {
    @Test func theReceiptProvesItsEntry() throws {
        let receipt = try LogReceipt(json: try SpecVectors.bytes("log/receipt-257.json"))
        #expect(receipt.index == 257 && receipt.proof.treeSize == 300)
        let log = try TransparencyLog(opening: "\(LogVectorTests.directory)/example", forWriting: false)
        #expect(try receipt.root(for: Array("entry 257\n".utf8)) == log.root)
        #expect(receipt.logID == LogReceipt.logID(of: try KeyFile.verifyingKey(LogVectorTests.exampleKey)))
        // Another entry, or a proof for another index, is refused.
        #expect(throws: BullaError(.signatureInvalid)) { try receipt.root(for: Array("entry 258\n".utf8)) }
        var moved = receipt
        moved.index = 258
        #expect(throws: BullaError(.signatureInvalid)) { try moved.root(for: Array("entry 257\n".utf8)) }
        // The receipt's own JSON round-trips.
        #expect(try LogReceipt(json: receipt.json) == receipt)
    }

    @Test func requestPaths() throws {
        let table = try JSONValue(parsing: try SpecVectors.bytes("log/paths.json"), what: "vector")
        guard case .array(let valid)? = table["valid"], case .array(let invalid)? = table["invalid"] else {
            Issue.record("paths.json lacks valid or invalid")
            return
        }
        for item in valid {
            let path = item["path"]?.stringValue ?? ""
            let resource = LogResource(path: path)
            let names: String? = resource.map {
                switch $0 {
                case .checkpoint: "checkpoint"
                case .tile(let level, let index, let width): "tile level \(level) index \(index) width \(width)"
                case .entries(let index, let width): "entries index \(index) width \(width)"
                }
            }
            #expect(names == item["names"]?.stringValue, "\(path)")
            #expect(resource?.isCovered(bySize: 300) == (item["covered"] == .bool(true)), "\(path)")
            if let resource, resource != .checkpoint { #expect("/" + resource.path == path) }
        }
        for item in invalid {
            #expect(LogResource(path: item.stringValue ?? "") == nil, "\(item.stringValue ?? "")")
        }
    }
}
