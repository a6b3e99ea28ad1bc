import BullaCrypto

/// A proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` leaves
/// (RFC 9162 §2.1.4): the log rewrote nothing between two checkpoints.
public struct ConsistencyProof: Sendable, Hashable, Codable {
    /// The size of the earlier tree, as an earlier checkpoint signed it.
    public var oldSize: UInt64
    /// The size of the later tree, as the current checkpoint signs it.
    public var newSize: UInt64
    /// The subtree hashes that link the two roots, in RFC 9162 order.
    public var hashes: [[UInt8]]

    /// A proof as a log made or sent it; `verify` judges it.
    public init(oldSize: UInt64, newSize: UInt64, hashes: [[UInt8]]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.hashes = hashes
    }

    /// Checks the proof between `oldRoot` and `newRoot` (RFC 9162 §2.1.4.2). Equal sizes need
    /// equal roots and no hashes. A proof from the empty tree is refused: it proves nothing,
    /// and a client with no earlier checkpoint has nothing to be consistent with.
    public func verify(oldRoot: [UInt8], newRoot: [UInt8]) throws {
        func fail(_ reason: String) -> BullaError {
            BullaError(.signatureInvalid, "consistency proof from size \(oldSize) to \(newSize): \(reason)")
        }
        guard oldSize > 0 else { throw fail("a proof from the empty tree proves nothing") }
        guard oldSize <= newSize else { throw fail("the new tree is smaller") }
        if oldSize == newSize {
            guard hashes.isEmpty else { throw fail("equal sizes take an empty proof") }
            guard oldRoot == newRoot else { throw fail("equal sizes with different roots") }
            return
        }
        guard !hashes.isEmpty else { throw fail("the proof is empty") }
        guard hashes.allSatisfy({ $0.count == MerkleHash.size }), oldRoot.count == MerkleHash.size, newRoot.count == MerkleHash.size else {
            throw BullaError(.malformedInput, "consistency proof: every hash is \(MerkleHash.size) bytes")
        }
        var path = hashes[...]
        // An old tree of a power-of-two size is a complete subtree: its root starts the path.
        if oldSize & (oldSize - 1) == 0 { path = [oldRoot] + path }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path.first!, sr = path.first!
        for c in path.dropFirst() {
            guard sn != 0 else { throw fail("more hashes than the trees need") }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw fail("fewer hashes than the trees need") }
        guard fr == oldRoot else { throw fail("it does not lead to the old root") }
        guard sr == newRoot else { throw fail("it does not lead to the new root") }
    }
}
