import BullaCrypto

/// A proof that the leaf at `index` is in the tree of `treeSize` leaves (RFC 9162 §2.1.3).
public struct InclusionProof: Sendable, Hashable, Codable {
    /// The leaf's position in the log, which also fixes the proof's path.
    public var index: UInt64
    /// The size of the tree the proof is against: a checkpoint of this size must sign the root.
    public var treeSize: UInt64
    /// The sibling hashes from the leaf up, in RFC 9162 order.
    public var hashes: [[UInt8]]

    /// A proof as a log made or sent it; `verify` judges it.
    public init(index: UInt64, treeSize: UInt64, hashes: [[UInt8]]) {
        self.index = index
        self.treeSize = treeSize
        self.hashes = hashes
    }

    /// The root this proof yields for `leafHash` (RFC 9162 §2.1.3.2); throws when the proof
    /// cannot be one for this index and size.
    public func root(forLeaf leafHash: [UInt8]) throws -> [UInt8] {
        guard index < treeSize else {
            throw BullaError(.signatureInvalid, "inclusion proof: index \(index) is not in a tree of \(treeSize) leaves")
        }
        guard leafHash.count == MerkleHash.size, hashes.allSatisfy({ $0.count == MerkleHash.size }) else {
            throw BullaError(.malformedInput, "inclusion proof: every hash is \(MerkleHash.size) bytes")
        }
        var fn = index, sn = treeSize - 1
        var r = leafHash
        for p in hashes {
            guard sn != 0 else {
                throw BullaError(.signatureInvalid, "inclusion proof for index \(index) in size \(treeSize) has \(hashes.count) hashes, more than the tree needs")
            }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else {
            throw BullaError(.signatureInvalid, "inclusion proof for index \(index) in size \(treeSize) has \(hashes.count) hashes, fewer than the tree needs")
        }
        return r
    }

    /// Checks that `leafHash` is at `index` in the tree whose root is `root`.
    public func verify(leafHash: [UInt8], root: [UInt8]) throws {
        let computed = try self.root(forLeaf: leafHash)
        guard computed == root else {
            throw BullaError(.signatureInvalid, "inclusion proof for index \(index) gives root \(Hex.encode(computed).prefix(16))…, not the checkpoint's \(Hex.encode(root).prefix(16))…")
        }
    }
}
