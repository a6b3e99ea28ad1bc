import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// The tile-backed log against the in-memory reference tree: roots, entries and proofs agree
/// across batches that cross tile and bundle boundaries, reopening restores the state, one
/// writer at a time, and files a crash leaves past the committed size change nothing.
@Suite struct TransparencyLogTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-log-\(UUID().uuidString)").path
        return dir
    }

    @Test func batchesAgreeWithTheReferenceTree() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try TransparencyLog.create(at: dir, origin: "bulla.test/log")
        #expect(log.size == 0 && log.root == MerkleHash.emptyRoot)
        var entries: [[UInt8]] = []
        var roots: [UInt64: [UInt8]] = [0: MerkleHash.emptyRoot]
        var generator = SystemRandomNumberGenerator()
        for batch in [1, 7, 248, 1, 300, 1000, 3, 255, 256, 257, 70_000 - 2328] {
            let added = (0..<batch).map { i in Array("entry \(entries.count + i) \(UInt64.random(in: 0...UInt64.max, using: &generator))".utf8) }
            let indices = try log.append(added)
            #expect(indices == UInt64(entries.count)..<UInt64(entries.count + batch))
            entries += added
            roots[log.size] = log.root
        }
        let tree = MerkleTree(leaves: entries.map { MerkleHash.leaf($0) })
        #expect(log.size == 70_000)
        #expect(log.root == tree.root())
        for (size, root) in roots { #expect(try log.root(size: size) == root) }
        for _ in 0..<300 {
            let size = UInt64.random(in: 1...log.size)
            let index = UInt64.random(in: 0..<size)
            #expect(try log.entry(at: index) == entries[Int(index)])
            let proof = try log.inclusionProof(index: index, size: size)
            try proof.verify(leafHash: MerkleHash.leaf(entries[Int(index)]), root: try log.root(size: size))
            let old = UInt64.random(in: 1...size)
            try log.consistencyProof(from: old, to: size).verify(oldRoot: try log.root(size: old), newRoot: try log.root(size: size))
        }
        // The recorded roots at each batch are the ones proofs connect.
        try log.consistencyProof(from: 256, to: 70_000).verify(oldRoot: try #require(roots[256]), newRoot: log.root)
    }

    @Test func reopeningLockingAndCrashLeftovers() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var entries = (0..<600).map { Array("e\($0)".utf8) }
        do {
            let log = try TransparencyLog.create(at: dir, origin: "bulla.test/log")
            try log.append(entries)
            // One writer at a time.
            #expect(performing: { try TransparencyLog(opening: dir, forWriting: true) },
                    throws: { ($0 as? BullaError)?.message.contains("is being written by another process") == true })
            #expect(performing: { try log.append([[UInt8](repeating: 0, count: 70_000)]) }, throws: { ($0 as? BullaError)?.code == .limitExceeded })
        }
        // What an interrupted append leaves: a temporary state, a longer partial tile and
        // bundle of entries never committed.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: "\(dir)/state.tmp-99999"))
        try Data(repeating: 7, count: 32 * 99).write(to: URL(fileURLWithPath: "\(dir)/tile/0/002.p/99"))
        try Data([0, 1, 9]).write(to: URL(fileURLWithPath: "\(dir)/tile/entries/002.p/99"))
        let reader = try TransparencyLog(opening: dir, forWriting: false)
        #expect(reader.size == 600)
        #expect(throws: BullaError.self) { try reader.append([[1]]) }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/state.tmp-99999"))
        let writer = try TransparencyLog(opening: dir, forWriting: true)
        // The writer clears what an interrupted append left beside the state.
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/state.tmp-99999"))
        let more = (600..<1000).map { Array("e\($0)".utf8) }
        try writer.append(more)
        entries += more
        let tree = MerkleTree(leaves: entries.map { MerkleHash.leaf($0) })
        #expect(writer.root == tree.root())
        #expect(try writer.entry(at: 599) == entries[599])
        try writer.inclusionProof(index: 598, size: 1000).verify(leafHash: MerkleHash.leaf(entries[598]), root: tree.root())
    }
}
