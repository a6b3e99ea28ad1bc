import BullaCrypto

/// C2SP tlog-tiles names and entry bundles: tiles of 256 hashes at every eighth level of the
/// tree (`tile/<L>/<N>`, partial ones `tile/<L>/<N>.p/<W>`), and the entries themselves in
/// bundles of 256 (`tile/entries/<N>`), each entry prefixed by its length as a big-endian
/// uint16.
public enum TileLayout {
    /// Tree levels per tile: a tile of level L holds nodes of tree level 8·L.
    public static let height = 8
    /// Hashes per full tile, and entries per full entry bundle.
    public static let width = 256
    /// Entries are length-prefixed with 16 bits.
    public static let maxEntryBytes = 65_535
    /// The largest hash tile: 256 hashes of 32 bytes.
    public static let maxTileBytes = width * MerkleHash.size
    /// The largest entry bundle: 256 entries, each behind its two-byte length.
    public static let maxBundleBytes = width * (2 + maxEntryBytes)
    /// The largest `state` file read: the origin and at most 64 subtree hashes in hex.
    public static let maxStateBytes = 1 << 16
    /// The largest checkpoint (a signed note) read.
    public static let maxCheckpointBytes = 1 << 20

    /// `N` in three-digit groups, all but the last prefixed `x`: 1234067 → `x001/x234/067`.
    public static func encode(_ n: UInt64) -> String {
        func pad(_ v: UInt64) -> String { String(repeating: "0", count: 3 - String(v).count) + String(v) }
        var rest = n / 1000
        var parts = [pad(n % 1000)]
        while rest > 0 {
            parts.insert("x" + pad(rest % 1000), at: 0)
            rest /= 1000
        }
        return parts.joined(separator: "/")
    }

    /// `tile/<L>/<N>[.p/<W>]`, the path tlog-tiles clients fetch a hash tile from.
    public static func tilePath(level: Int, index: UInt64, width: Int) -> String {
        "tile/\(level)/\(encode(index))" + (width < Self.width ? ".p/\(width)" : "")
    }

    /// `tile/entries/<N>[.p/<W>]`, the path tlog-tiles clients fetch an entry bundle from.
    public static func entriesPath(index: UInt64, width: Int) -> String {
        "tile/entries/\(encode(index))" + (width < Self.width ? ".p/\(width)" : "")
    }

    /// Where the levels above a full level-0 tile are kept (levels 1–7: 254 hashes), so a proof
    /// reads them instead of rehashing the tile. Not part of tlog-tiles and never served: a cache
    /// that an append writes and an audit checks.
    static func nodesPath(index: UInt64) -> String {
        "nodes/0/\(encode(index))"
    }

    /// How many of tile `index`'s slots are filled when `count` nodes of its level exist.
    static func width(ofTile index: UInt64, count: UInt64) -> Int {
        let start = index * UInt64(Self.width)
        return count <= start ? 0 : Int(min(UInt64(Self.width), count - start))
    }

    /// Entries as one bundle file, each behind its big-endian uint16 length.
    public static func bundle(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            out += [UInt8(entry.count >> 8), UInt8(entry.count & 0xFF)] + entry
        }
        return out
    }

    /// The leaf hashes of a bundle's entries, 32 bytes each, computed in place: each entry's
    /// length prefix is overwritten with the leaf's 0x00 prefix and hashed where it lies.
    /// Returns the hashes and how many bytes were hashed.
    static func leafHashes(inBundle bytes: inout [UInt8], index bundle: UInt64, count: Int) throws -> (hashes: [UInt8], bytesHashed: Int) {
        var hashed = 0
        var found = 0
        let hashes = try [UInt8](unsafeUninitializedCapacity: count * MerkleHash.size) { out, initialized in
            try bytes.withUnsafeMutableBytes { input in
                var i = 0
                while i < input.count {
                    guard input.count - i >= 2 else { throw BullaError(.malformedInput, "entry bundle \(bundle) ends inside a length") }
                    let length = Int(input[i]) << 8 | Int(input[i + 1])
                    guard input.count - i - 2 >= length else { throw BullaError(.malformedInput, "entry bundle \(bundle) ends inside entry \(found)") }
                    guard found < count else { throw BullaError(.logInconsistent, "entry bundle \(bundle) holds more than \(count) entries") }
                    input[i + 1] = 0x00
                    Digest.sha256(UnsafeRawBufferPointer(rebasing: input[(i + 1)..<(i + 2 + length)]),
                                  into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(found * MerkleHash.size)...]))
                    hashed += length + 1
                    found += 1
                    i += 2 + length
                }
            }
            guard found == count else { throw BullaError(.logInconsistent, "entry bundle \(bundle) holds \(found) entries, expected \(count)") }
            initialized = count * MerkleHash.size
        }
        return (hashes, hashed)
    }

    /// Splits a bundle file back into its entries, refusing one that ends inside a length or entry.
    public static func entries(inBundle bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard bytes.count - i >= 2 else { throw BullaError(.malformedInput, "entry bundle ends inside a length") }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard bytes.count - i - 2 >= length else { throw BullaError(.malformedInput, "entry bundle ends inside entry \(out.count)") }
            out.append(Array(bytes[(i + 2)..<(i + 2 + length)]))
            i += 2 + length
        }
        return out
    }
}
