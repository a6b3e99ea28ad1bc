/// Proofs from a tree's leaf hashes in memory (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF): the
/// reference the tile-backed log is tested against, and enough for small trees.
public struct MerkleTree: Sendable {
    public var leaves: [[UInt8]]

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
            let k = Self.split(hi - lo)
            return MerkleHash.node(root(lo, lo + k), root(lo + k, hi))
        }
    }

    public func inclusionProof(index: Int, size: Int) -> InclusionProof {
        InclusionProof(index: UInt64(index), treeSize: UInt64(size), hashes: path(index, 0, size))
    }

    public func consistencyProof(from oldSize: Int, to newSize: Int) -> ConsistencyProof {
        let hashes = oldSize == 0 || oldSize == newSize ? [] : subproof(oldSize, 0, newSize, true)
        return ConsistencyProof(oldSize: UInt64(oldSize), newSize: UInt64(newSize), hashes: hashes)
    }

    /// The largest power of two smaller than n (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    private func path(_ m: Int, _ lo: Int, _ hi: Int) -> [[UInt8]] {
        guard hi - lo > 1 else { return [] }
        let k = Self.split(hi - lo)
        if m < k { return path(m, lo, lo + k) + [root(lo + k, hi)] }
        return path(m - k, lo + k, hi) + [root(lo, lo + k)]
    }

    private func subproof(_ m: Int, _ lo: Int, _ hi: Int, _ complete: Bool) -> [[UInt8]] {
        let n = hi - lo
        if m == n { return complete ? [] : [root(lo, hi)] }
        let k = Self.split(n)
        if m <= k { return subproof(m, lo, lo + k, complete) + [root(lo + k, hi)] }
        return subproof(m - k, lo + k, hi, false) + [root(lo, lo + k)]
    }
}
