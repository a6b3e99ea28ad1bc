/// The append state of a Merkle tree in O(log n) hashes: the roots of the perfect subtrees
/// that make up the first `size` leaves, largest first (one per set bit of `size`).
///
/// Appending merges equal-sized subtrees as binary addition carries; the root folds them from
/// the smallest up. This is all a log needs to know to extend its tree and sign a checkpoint.
public struct CompactRange: Sendable, Hashable {
    /// How many leaves the range covers, one subtree root per set bit.
    public private(set) var size: UInt64 = 0
    /// Subtree roots, largest (leftmost) first.
    public private(set) var hashes: [[UInt8]] = []

    /// The empty tree, from which a log's first append starts.
    public init() {}

    /// Restores a range from its size and subtree roots (as stored in a log's tree state).
    public init(size: UInt64, hashes: [[UInt8]]) throws {
        guard hashes.count == size.nonzeroBitCount, hashes.allSatisfy({ $0.count == MerkleHash.size }) else {
            throw BullaError(.malformedInput, "compact range for size \(size) needs \(size.nonzeroBitCount) hashes of \(MerkleHash.size) bytes, has \(hashes.count)")
        }
        self.size = size
        self.hashes = hashes
    }

    /// Appends one leaf hash; returns the subtree roots completed by it (for node storage).
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [(level: Int, index: UInt64, hash: [UInt8])] {
        append(subtree: leafHash, height: 0)
    }

    /// Appends the root of a perfect subtree of 2^`height` leaves, which must start where the
    /// tree ends (`size` a multiple of 2^`height`): a whole tile's worth at once.
    @discardableResult
    public mutating func append(subtree root: [UInt8], height: Int) -> [(level: Int, index: UInt64, hash: [UInt8])] {
        precondition(size & ((1 << UInt64(height)) - 1) == 0, "a subtree of height \(height) cannot start at \(size)")
        var index = size >> UInt64(height)
        var completed: [(Int, UInt64, [UInt8])] = [(height, index, root)]
        var hash = root
        var level = height
        // Each trailing one bit of the old size is a subtree of the new one's size to merge.
        while (size >> UInt64(level)) & 1 == 1 {
            hash = MerkleHash.node(hashes.removeLast(), hash)
            level += 1
            index >>= 1
            completed.append((level, index, hash))
        }
        hashes.append(hash)
        size += 1 << UInt64(height)
        return completed
    }

    /// The tree's root (RFC 6962 MTH); the empty tree's is SHA-256 of nothing.
    public var root: [UInt8] {
        guard var hash = hashes.last else { return MerkleHash.emptyRoot }
        for left in hashes.dropLast().reversed() { hash = MerkleHash.node(left, hash) }
        return hash
    }
}

import BullaCrypto
