import BullaCrypto

/// Checks a log directory whole, from its entries up: the tiles, the state, the signed
/// checkpoint and, given an earlier one, consistency with it. Apart from the log itself, which
/// only appends and proves.
public struct LogAuditor {
    /// The log directory audited, opened for reading.
    public let log: TransparencyLog

    /// An auditor of `log`; nothing is read until ``audit(verifier:since:)``.
    public init(log: TransparencyLog) {
        self.log = log
    }

    /// What a full audit found.
    public struct Audit: Sendable {
        /// Entries checked: every one the log's state counts, signed or not yet.
        public var size: UInt64
        /// The root recomputed from the entries alone, which `bulla log verify` prints.
        public var root: [UInt8]
        /// Stored tiles compared with the hashes recomputed from the entries.
        public var tilesChecked: Int
        /// Bytes hashed in the audit, to tell how much work checking the log took.
        public var bytesHashed: Int
    }

    /// Recomputes the whole tree from the entries: every stored tile must hold exactly the
    /// hashes the entries give, the signed checkpoint must verify with `verifier` and name this
    /// tree's root at its size, and, given an earlier checkpoint, the tree must be consistent
    /// with it.
    public func audit(verifier: NoteVerifier, since earlier: [UInt8]? = nil) throws -> Audit {
        guard let note = try log.signedCheckpoint() else { throw BullaError(.notFound, "log \(log.path) has no signed checkpoint") }
        let (checkpoint, _) = try Checkpoint.verified(note, by: [verifier], origin: log.origin)
        guard checkpoint.size <= log.size else {
            throw BullaError(.logInconsistent, "the checkpoint signs \(checkpoint.size) entries; the log holds \(log.size)")
        }
        var rebuilt = CompactRange()
        // Hashes of levels 8, 16, … gathered for the tile they belong to, compared when it fills.
        var above: [[UInt8]] = []
        var tilesChecked = 0
        var bytesHashed = 0
        let tileBytes = TileLayout.width * MerkleHash.size
        // Every entry the state counts is checked, not only those the checkpoint signs: the
        // state is what the next append builds on.
        let bundles = (log.size + UInt64(TileLayout.width) - 1) / UInt64(TileLayout.width)
        for bundle in 0..<bundles {
            let width = TileLayout.width(ofTile: bundle, count: log.size)
            var entries = try FileIO.read("\(log.path)/\(TileLayout.entriesPath(index: bundle, width: width))", limit: TileLayout.maxBundleBytes)
            let (leaves, hashed) = try TileLayout.leafHashes(inBundle: &entries, index: bundle, count: width)
            bytesHashed += hashed
            try compareTile(level: 0, index: bundle, width: width, expected: leaves)
            tilesChecked += 1
            guard width == TileLayout.width else {
                for leaf in 0..<width {
                    bytesHashed += (rebuilt.append(leafHash: Array(leaves[(leaf * MerkleHash.size)..<((leaf + 1) * MerkleHash.size)])).count - 1) * 65
                }
                break
            }
            // A full tile: its own seven levels, checked against what the append stored, then
            // its root carried up through the tiles above.
            let levels = TransparencyLog.levelsAbove(leaves)
            bytesHashed += (TileLayout.width - 2) * 65
            if let stored = try FileIO.readIfPresent("\(log.path)/\(TileLayout.nodesPath(index: bundle))", limit: tileBytes), stored != Array(levels.joined()) {
                throw BullaError(.logInconsistent, "\(TileLayout.nodesPath(index: bundle)) differs from the hashes of the entries")
            }
            var root = MerkleHash.parents(of: levels.last!)
            bytesHashed += 65
            bytesHashed += (rebuilt.append(subtree: root, height: TileLayout.height).count - 1) * 65
            var level = 1
            var index = bundle
            while true {
                if above.count < level { above.append([]) }
                above[level - 1] += root
                index /= UInt64(TileLayout.width)
                guard above[level - 1].count == tileBytes else { break }
                try compareTile(level: level, index: index, width: TileLayout.width, expected: above[level - 1])
                tilesChecked += 1
                var top = above[level - 1]
                for _ in 0..<TileLayout.height { top = MerkleHash.parents(of: top) }
                bytesHashed += (TileLayout.width - 1) * 65
                root = top
                above[level - 1] = []
                level += 1
            }
        }
        for (offset, hashes) in above.enumerated() where !hashes.isEmpty {
            let level = offset + 1
            let count = log.size >> UInt64(TileLayout.height * level)
            try compareTile(level: level, index: count / UInt64(TileLayout.width), width: hashes.count / MerkleHash.size, expected: hashes)
            tilesChecked += 1
        }
        guard rebuilt.hashes == log.range.hashes else {
            throw BullaError(.logInconsistent, "\(log.path)/state differs from the tree its entries give (\(log.size) entries, root \(Hex.encode(rebuilt.root).prefix(16))…): the state cannot be proven")
        }
        // The tiles now match the entries, so the root at the checkpoint's size comes from them.
        let signedRoot = try log.root(size: checkpoint.size)
        guard signedRoot == checkpoint.rootHash else {
            throw BullaError(.logInconsistent, "the entries give root \(Hex.encode(signedRoot).prefix(16))…, but the checkpoint signs \(Hex.encode(checkpoint.rootHash).prefix(16))…")
        }
        if let earlier {
            let (old, _) = try Checkpoint.verified(earlier, by: [verifier], origin: log.origin)
            guard old.size <= checkpoint.size else {
                throw BullaError(.signatureInvalid, "the earlier checkpoint signs \(old.size) entries, more than the current \(checkpoint.size)")
            }
            try log.consistencyProof(from: old.size, to: checkpoint.size).verify(oldRoot: old.rootHash, newRoot: checkpoint.rootHash)
        }
        return Audit(size: checkpoint.size, root: checkpoint.rootHash, tilesChecked: tilesChecked, bytesHashed: bytesHashed)
    }

    private func compareTile(level: Int, index: UInt64, width: Int, expected: [UInt8]) throws {
        let relative = TileLayout.tilePath(level: level, index: index, width: width)
        let stored = try FileIO.read("\(log.path)/\(relative)", limit: TileLayout.maxTileBytes)
        guard stored == expected else {
            let common = min(stored.count, expected.count)
            let at = ((0..<common).first { stored[$0] != expected[$0] } ?? common) / MerkleHash.size
            throw BullaError(.logInconsistent, "\(relative) differs from the hashes of the entries at hash \(at)")
        }
    }
}
