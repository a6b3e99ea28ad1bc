import BullaCrypto

/// RFC 6962 / RFC 9162 hashing: leaves and interior nodes are hashed with distinct one-byte
/// prefixes, so a leaf can never be passed off as a node.
public enum MerkleHash {
    public static let size = 32

    /// SHA-256 of the empty string: the root of the empty tree.
    public static let emptyRoot: [UInt8] = Digest.compute(.sha256, over: [UInt8]()).bytes

    /// SHA-256(0x00 || entry).
    public static func leaf(_ entry: some Collection<UInt8>) -> [UInt8] {
        var hash = StreamingDigest(.sha256)
        hash.update([0x00])
        hash.update(entry)
        return hash.finalize().bytes
    }

    /// SHA-256(0x01 || left || right).
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hash = StreamingDigest(.sha256)
        hash.update([0x01])
        hash.update(left)
        hash.update(right)
        return hash.finalize().bytes
    }
}
