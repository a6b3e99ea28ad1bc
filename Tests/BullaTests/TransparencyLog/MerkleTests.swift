import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// RFC 6962 / 9162 tree algorithms: transparency-dev's vectors (every valid proof accepted,
/// every tampered one refused), and proofs made here verified for every index and size.
@Suite struct MerkleTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/merkle")

    static func files(_ kind: String) -> [String] {
        let root = fixtures.appendingPathComponent(kind).path
        let names = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        return names.sorted().map { "\(kind)/\($0)" }
    }

    struct Inclusion: Decodable { var leafIdx: UInt64; var treeSize: UInt64; var root: String?; var leafHash: String?; var proof: [String]?; var wantErr: Bool }
    struct Consistency: Decodable { var size1: UInt64; var size2: UInt64; var root1: String?; var root2: String?; var proof: [String]?; var wantErr: Bool }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func bytes(_ text: String?) -> [UInt8] { text.flatMap { Base64.decode($0) } ?? [] }

    @Test func thereAreVectors() {
        #expect(Self.files("inclusion").count + Self.files("consistency").count == 196)
    }

    @Test(arguments: files("inclusion"))
    func inclusionVector(_ name: String) throws {
        let test = try Self.load(Inclusion.self, name)
        let proof = InclusionProof(index: test.leafIdx, treeSize: test.treeSize, hashes: (test.proof ?? []).map { Self.bytes($0) })
        let accepted = (try? proof.verify(leafHash: Self.bytes(test.leafHash), root: Self.bytes(test.root))) != nil
        #expect(accepted == !test.wantErr, "\(name)")
    }

    @Test(arguments: files("consistency"))
    func consistencyVector(_ name: String) throws {
        let test = try Self.load(Consistency.self, name)
        let proof = ConsistencyProof(oldSize: test.size1, newSize: test.size2, hashes: (test.proof ?? []).map { Self.bytes($0) })
        let accepted = (try? proof.verify(oldRoot: Self.bytes(test.root1), newRoot: Self.bytes(test.root2))) != nil
        #expect(accepted == !test.wantErr, "\(name)")
    }

    /// Every proof for every index and pair of sizes up to 70 leaves verifies, the compact range
    /// gives the same roots, and a proof checked against the wrong leaf or root fails.
    @Test func madeProofsVerifyAndCompactRootsAgree() throws {
        let leaves = (0..<70).map { MerkleHash.leaf(Array("entry \($0)".utf8)) }
        let tree = MerkleTree(leaves: leaves)
        var range = CompactRange()
        var roots = [MerkleHash.emptyRoot]
        for leaf in leaves {
            range.append(leafHash: leaf)
            roots.append(range.root)
        }
        for size in 1...leaves.count {
            #expect(roots[size] == tree.root(0, size))
            for index in 0..<size {
                let proof = try tree.inclusionProof(index: index, size: size)
                try proof.verify(leafHash: leaves[index], root: roots[size])
                #expect(throws: BullaError.self) { try proof.verify(leafHash: leaves[(index + 1) % leaves.count], root: roots[size]) }
            }
            for old in 1...size {
                let proof = try tree.consistencyProof(from: old, to: size)
                try proof.verify(oldRoot: roots[old], newRoot: roots[size])
                if old > 0 && old < size {
                    #expect(throws: BullaError.self) { try proof.verify(oldRoot: roots[old - 1], newRoot: roots[size]) }
                }
            }
        }
    }
}
