/// Inclusion and consistency proofs (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) over any source
/// of subtree hashes: the in-memory reference tree below, or a log's tiles.
public enum MerkleProofs {
    /// The hash of leaves `lo..<hi`; the proofs only ask for ranges that start on a multiple of
    /// the largest power of two below their length, so a tile-backed source answers each from
    /// O(log n) stored nodes.
    public typealias RangeHash = (_ lo: UInt64, _ hi: UInt64) throws -> [UInt8]

    /// The RFC 9162 §2.1.3.1 inclusion proof for `index` in a tree of `size` leaves.
    public static func inclusion(index: UInt64, size: UInt64, _ hash: RangeHash) throws -> InclusionProof {
        guard index < size else { throw BullaError(.invalidArgument, "index \(index) is not in a tree of \(size) leaves") }
        return InclusionProof(index: index, treeSize: size, hashes: try path(index, 0, size, hash))
    }

    /// The RFC 9162 §2.1.4.1 proof that the first `oldSize` leaves are a prefix of `newSize`.
    public static func consistency(from oldSize: UInt64, to newSize: UInt64, _ hash: RangeHash) throws -> ConsistencyProof {
        guard oldSize > 0, oldSize <= newSize else {
            throw BullaError(.invalidArgument, "no consistency proof from size \(oldSize) to \(newSize)")
        }
        let hashes = oldSize == newSize ? [] : try subproof(oldSize, 0, newSize, true, hash)
        return ConsistencyProof(oldSize: oldSize, newSize: newSize, hashes: hashes)
    }

    /// The largest power of two smaller than n (n ≥ 2).
    static func split(_ n: UInt64) -> UInt64 {
        UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    private static func path(_ m: UInt64, _ lo: UInt64, _ hi: UInt64, _ hash: RangeHash) throws -> [[UInt8]] {
        guard hi - lo > 1 else { return [] }
        let k = split(hi - lo)
        if m < k { return try path(m, lo, lo + k, hash) + [try hash(lo + k, hi)] }
        return try path(m - k, lo + k, hi, hash) + [try hash(lo, lo + k)]
    }

    private static func subproof(_ m: UInt64, _ lo: UInt64, _ hi: UInt64, _ complete: Bool, _ hash: RangeHash) throws -> [[UInt8]] {
        let n = hi - lo
        if m == n { return complete ? [] : [try hash(lo, hi)] }
        let k = split(n)
        if m <= k { return try subproof(m, lo, lo + k, complete, hash) + [try hash(lo + k, hi)] }
        return try subproof(m - k, lo + k, hi, false, hash) + [try hash(lo, lo + k)]
    }
}

/// A tree held as its leaf hashes in memory: the reference the tile-backed log is tested
/// against, and enough for small trees.
public struct MerkleTree: Sendable {
    /// The leaf hashes (already `MerkleHash.leaf` of each entry), in log order.
    public var leaves: [[UInt8]]

    /// A tree over leaf hashes, for tests and small trees that need no tiles.
    public init(leaves: [[UInt8]]) {
        self.leaves = leaves
    }

    /// MTH(D[lo..<hi]).
    public func root(_ lo: Int = 0, _ hi: Int? = nil) -> [UInt8] {
        let hi = hi ?? leaves.count
        switch hi - lo {
        case 0: return MerkleHash.emptyRoot
        case 1: return leaves[lo]
        default:
            let k = Int(MerkleProofs.split(UInt64(hi - lo)))
            return MerkleHash.node(root(lo, lo + k), root(lo + k, hi))
        }
    }

    /// The inclusion proof of leaf `index` in the tree of its first `size` leaves.
    public func inclusionProof(index: Int, size: Int) throws -> InclusionProof {
        try MerkleProofs.inclusion(index: UInt64(index), size: UInt64(size)) { root(Int($0), Int($1)) }
    }

    /// The consistency proof between the trees of its first `oldSize` and `newSize` leaves.
    public func consistencyProof(from oldSize: Int, to newSize: Int) throws -> ConsistencyProof {
        try MerkleProofs.consistency(from: UInt64(oldSize), to: UInt64(newSize)) { root(Int($0), Int($1)) }
    }
}

import BullaCrypto
