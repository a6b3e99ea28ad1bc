import BullaCrypto

/// RFC 6962 / RFC 9162 hashing: leaves and interior nodes are hashed with distinct one-byte
/// prefixes, so a leaf can never be passed off as a node.
public enum MerkleHash {
    /// The size of every hash in the tree (SHA-256): leaves, nodes, roots and proof hashes.
    public static let size = 32

    /// SHA-256 of the empty string: the root of the empty tree.
    public static let emptyRoot: [UInt8] = Digest.compute(.sha256, over: [UInt8]()).bytes

    /// SHA-256(0x00 || entry).
    public static func leaf(_ entry: some Collection<UInt8>) -> [UInt8] {
        let count = entry.count
        return withUnsafeTemporaryAllocation(byteCount: count + 1, alignment: 8) { buffer in
            buffer[0] = 0x00
            _ = UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyBytes(from: entry)
            return Digest.sha256(UnsafeRawBufferPointer(buffer))
        }
    }

    /// SHA-256(0x01 || left || right), hashed from a stack buffer.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 1 + left.count + right.count, alignment: 8) { buffer in
            buffer[0] = 0x01
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<(1 + left.count)]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[(1 + left.count)...]).copyMemory(from: $0) }
            return Digest.sha256(UnsafeRawBufferPointer(buffer))
        }
    }

    /// One level up: each pair of 32-byte hashes in `below` becomes its node hash, written
    /// straight into the result (a tile's seven levels are 255 of them).
    static func parents(of below: [UInt8]) -> [UInt8] {
        let pairs = below.count / (2 * size)
        return [UInt8](unsafeUninitializedCapacity: pairs * size) { out, initialized in
            below.withUnsafeBytes { input in
                withUnsafeTemporaryAllocation(byteCount: 1 + 2 * size, alignment: 8) { scratch in
                    scratch[0] = 0x01
                    for pair in 0..<pairs {
                        UnsafeMutableRawBufferPointer(rebasing: scratch[1...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: input[(pair * 2 * size)..<((pair + 1) * 2 * size)]))
                        Digest.sha256(UnsafeRawBufferPointer(scratch), into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(pair * size)...]))
                    }
                }
            }
            initialized = pairs * size
        }
    }
}
