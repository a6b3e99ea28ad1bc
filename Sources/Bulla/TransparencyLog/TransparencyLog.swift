import BullaCrypto

/// A transparency log in a directory, in the C2SP tlog-tiles layout, with one writer at a time.
///
/// The `state` file (origin, size, the compact range's hashes) is the single commit point: an
/// append writes its entry bundles and tiles under new names first (each flushed and renamed,
/// their directories flushed), then replaces `state`. A crash before that leaves the old state
/// and some files past it, which readers never look at and the next append rewrites; a crash
/// after it loses nothing acknowledged.
public final class TransparencyLog {
    /// The log directory, named in errors.
    public let path: String
    /// The log's name, the first line of each checkpoint, which verifiers pin.
    public let origin: String
    /// The committed tree state, as `state` records it: what the next append builds on.
    public private(set) var range: CompactRange
    private let lock: FileLock?
    /// Hash tiles read, each with the seven levels above it computed once: a proof then reads
    /// its nodes instead of rehashing up to 255 of them per tile. Tiles above level 0 (one per
    /// 65,536 entries) are all kept; level-0 tiles are bounded, one evicted at a time, so memory
    /// stays flat however large the log grows.
    private var pyramids: [PyramidKey: [[UInt8]]] = [:]
    private var leafPyramids: [PyramidKey: [[UInt8]]] = [:]
    private static let maxLeafPyramids = 2048

    private struct PyramidKey: Hashable {
        let level: Int
        let index: UInt64
        let width: Int
    }

    /// Entries committed, including any no checkpoint has signed yet.
    public var size: UInt64 { range.size }
    /// The Merkle root of every committed entry.
    public var root: [UInt8] { range.root }

    /// Makes an empty log.
    public static func create(at path: String, origin: String) throws -> TransparencyLog {
        guard !origin.isEmpty, !origin.contains("\n") else { throw BullaError(.invalidArgument, "a log origin is one non-empty line") }
        try FileIO.makeDirectory(path)
        guard FileIO.size("\(path)/state") == nil else { throw BullaError(.invalidArgument, "\(path) already holds a log") }
        let log = try TransparencyLog(path: path, origin: origin, range: CompactRange(), lock: true)
        try log.commit(log.range)
        return log
    }

    /// Opens a log; `forWriting` takes the writer's lock, refusing when another process holds it.
    /// A writer is refused while the log's journal holds entries its tree lacks (their indices
    /// are taken), unless it folds them first (`foldsJournal`, then ``foldJournal(with:)``).
    public convenience init(opening path: String, forWriting: Bool, foldsJournal: Bool = false) throws {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read("\(path)/state", limit: TileLayout.maxStateBytes)
        } catch let error where error.bullaCode == .notFound {
            throw BullaError(.notFound, "\(path) is not a log (no state file)")
        }
        let state = try JSONValue(parsing: bytes, what: "\(path)/state")
        guard case .string(let origin)? = state["origin"], case .string(let sizeText)? = state["size"], let size = UInt64(sizeText),
              case .array(let items)? = state["hashes"] else {
            throw BullaError(.malformedInput, "\(path)/state lacks origin, size or hashes")
        }
        let hashes = try items.map { item -> [UInt8] in
            guard let hex = item.stringValue, let hash = Hex.decodeLowercase(Array(hex.utf8)) else {
                throw BullaError(.malformedInput, "\(path)/state holds a hash that is not hex")
            }
            return hash
        }
        try self.init(path: path, origin: origin, range: try CompactRange(size: size, hashes: hashes), lock: forWriting)
        if forWriting { try checkStateAgainstTiles() }
        if forWriting && !foldsJournal {
            let journaled = try journaledEntries()
            guard journaled == 0 else {
                throw BullaError(
                    .invalidArgument,
                    "log \(path) has \(journaled) journaled entries its tree does not hold yet (a `bulla serve --decision-log` that stopped without closing it); `bulla serve` folds them when it starts on this log")
            }
        }
    }

    private init(path: String, origin: String, range: CompactRange, lock: Bool) throws {
        self.path = path
        self.origin = origin
        self.range = range
        if lock {
            self.lock = try FileLock("\(path)/lock", held: "log \(path) is being written by another process (it holds \(path)/lock)")
            removeLeftovers()
        } else {
            self.lock = nil
        }
    }

    /// Refuses a `state` whose subtree hashes are not the ones its tiles hold: an append built
    /// on it would be acknowledged and then never provable (no checkpoint could follow the last).
    /// Reads one tile path per set bit of the size.
    public func checkStateAgainstTiles() throws {
        var start: UInt64 = 0
        var position = 0
        for level in stride(from: 63, through: 0, by: -1) where (size >> UInt64(level)) & 1 == 1 {
            let stored: [UInt8]
            do {
                stored = try nodeHash(level: level, index: start >> UInt64(level))
            } catch {
                throw BullaError(.logInconsistent, "\(path)/state names \(size) entries, but the tiles cannot give the subtree at level \(level): \(BullaError.describe(error))")
            }
            guard stored == range.hashes[position] else {
                throw BullaError(
                    .logInconsistent,
                    "\(path)/state holds subtree hash \(Hex.encode(range.hashes[position])) at level \(level), but the tiles give \(Hex.encode(stored)): the state cannot be proven from the log, so the log is not written")
            }
            start += 1 << UInt64(level)
            position += 1
        }
    }

    /// What an interrupted append leaves that the writer can see: temporary files beside the
    /// state and in the directories the next append writes to. Files past the committed size
    /// under final names are harmless (readers take the widths the size gives) and are
    /// replaced by the next append.
    private func removeLeftovers() {
        let width = UInt64(TileLayout.width)
        let files = [
            TileLayout.entriesPath(index: size / width, width: Int(size % width)), TileLayout.entriesPath(index: size / width, width: TileLayout.width),
            TileLayout.tilePath(level: 0, index: size / width, width: Int(size % width)), TileLayout.tilePath(level: 0, index: size / width, width: TileLayout.width),
        ]
        // The root, and the directories holding the current bundle and level-0 tile.
        for relative in Set([""] + files.map { "/" + $0[..<$0.lastIndex(of: "/")!] }) {
            let directory = path + relative
            for name in (try? FileIO.names(in: directory)) ?? [] where name.contains(".tmp-") { FileIO.remove("\(directory)/\(name)") }
        }
    }

    // MARK: Appending

    /// Appends `entries` durably, as one batch; returns their indices. When this returns the
    /// entries are on disk and in the committed state.
    @discardableResult
    public func append(_ entries: [[UInt8]]) throws -> Range<UInt64> {
        guard lock != nil else { throw BullaError(.invalidArgument, "log \(path) was opened for reading") }
        if let long = entries.firstIndex(where: { $0.count > TileLayout.maxEntryBytes }) {
            throw BullaError(.limitExceeded, "entry \(long) of the batch is \(entries[long].count) bytes; a log entry is at most \(TileLayout.maxEntryBytes)")
        }
        let old = range.size
        guard !entries.isEmpty else { return old..<old }
        var next = range
        // Level-8L node hashes completed by the batch, per tile.
        var newHashes: [TileKey: [[UInt8]]] = [:]
        for entry in entries {
            for node in next.append(leafHash: MerkleHash.leaf(entry)) where node.level % TileLayout.height == 0 {
                newHashes[TileKey(level: node.level / TileLayout.height, index: node.index / UInt64(TileLayout.width)), default: []].append(node.hash)
            }
        }
        var directories: Set<String> = []
        // Entry bundles.
        var offset = 0
        var bundle = old / UInt64(TileLayout.width)
        while offset < entries.count {
            let had = TileLayout.width(ofTile: bundle, count: old)
            let existing = had == 0 ? [] : try TileLayout.entries(inBundle: try read(TileLayout.entriesPath(index: bundle, width: had)))
            let room = TileLayout.width - existing.count
            let added = Array(entries[offset..<min(entries.count, offset + room)])
            try write(TileLayout.bundle(existing + added), to: TileLayout.entriesPath(index: bundle, width: existing.count + added.count), directories: &directories)
            offset += added.count
            bundle += 1
        }
        // Hash tiles.
        for (key, hashes) in newHashes {
            let count = old >> (TileLayout.height * key.level)
            let had = TileLayout.width(ofTile: key.index, count: count)
            let existing = had == 0 ? [] : try read(TileLayout.tilePath(level: key.level, index: key.index, width: had))
            let tile = existing + hashes.joined()
            try write(tile, to: TileLayout.tilePath(level: key.level, index: key.index, width: had + hashes.count), directories: &directories)
            if key.level == 0, had + hashes.count == TileLayout.width {
                try write(Array(Self.levelsAbove(tile).joined()), to: TileLayout.nodesPath(index: key.index), directories: &directories)
            }
        }
        // Everything the batch wrote is made durable before the commit: on Linux with one
        // syncfs (one journal commit for all the files and their names), else file by file.
        if DurableFile.canSyncFileSystem {
            try DurableFile.syncFileSystem(of: path)
        } else {
            for directory in directories.sorted() { try DurableFile.syncDirectory(directory) }
        }
        try commit(next)
        range = next
        return old..<next.size
    }

    private struct TileKey: Hashable {
        let level: Int
        let index: UInt64
    }

    private func write(_ bytes: [UInt8], to relative: String, directories: inout Set<String>) throws {
        let full = "\(path)/\(relative)"
        let directory = String(full[..<full.lastIndex(of: "/")!])
        try FileIO.makeDirectories(directory, under: path)
        try DurableFile.replace(full, with: bytes, flush: !DurableFile.canSyncFileSystem)
        directories.insert(directory)
    }

    /// Replaces `state`: the commit point.
    private func commit(_ next: CompactRange) throws {
        let state = JSONValue.object([
            ("origin", .string(origin)), ("size", .string(String(next.size))),
            ("hashes", .array(next.hashes.map { .string(Hex.encode($0)) })),
        ])
        try DurableFile.replace("\(path)/state", with: state.serialized)
        try DurableFile.syncDirectory(path)
    }

    // MARK: Reading

    private func read(_ relative: String) throws -> [UInt8] {
        try FileIO.read("\(path)/\(relative)", limit: max(TileLayout.maxBundleBytes, TileLayout.maxTileBytes))
    }

    /// The tile's hashes and every level above them inside the tile (level r holds
    /// ⌊width / 2^r⌋ node hashes, 32 bytes each).
    private func pyramid(level tileLevel: Int, index tile: UInt64, width: Int) throws -> [[UInt8]] {
        let key = PyramidKey(level: tileLevel, index: tile, width: width)
        if let cached = tileLevel == 0 ? leafPyramids[key] : pyramids[key] { return cached }
        let bytes = try read(TileLayout.tilePath(level: tileLevel, index: tile, width: width))
        guard bytes.count == width * MerkleHash.size else {
            throw BullaError(.malformedInput, "tile \(tileLevel)/\(tile) of \(path) is \(bytes.count) bytes, expected \(width * MerkleHash.size)")
        }
        let levels = try (tileLevel == 0 ? storedLevels(aboveTile: tile, bytes) : nil) ?? [bytes] + Self.levelsAbove(bytes)
        if tileLevel == 0 {
            if leafPyramids.count >= Self.maxLeafPyramids, let victim = leafPyramids.keys.randomElement() { leafPyramids[victim] = nil }
            leafPyramids[key] = levels
        } else {
            pyramids[key] = levels
        }
        return levels
    }

    /// Levels 1–7 inside a tile (fewer for a partial one), each pair of hashes below hashed.
    static func levelsAbove(_ tile: [UInt8]) -> [[UInt8]] {
        var levels: [[UInt8]] = []
        var below = tile
        while levels.count < TileLayout.height - 1, below.count >= 2 * MerkleHash.size {
            below = MerkleHash.parents(of: below)
            levels.append(below)
        }
        return levels
    }

    /// A full level-0 tile's upper levels as its append stored them, if that file is there and
    /// its top pair hashes to the level-8 node the tile above records; nil sends the caller to
    /// recompute them.
    private func storedLevels(aboveTile tile: UInt64, _ bytes: [UInt8]) throws -> [[UInt8]]? {
        guard bytes.count == TileLayout.width * MerkleHash.size, tile < size >> UInt64(TileLayout.height),
              let stored = try? FileIO.read("\(path)/\(TileLayout.nodesPath(index: tile))", limit: TileLayout.width * MerkleHash.size),
              stored.count == (TileLayout.width - 2) * MerkleHash.size else { return nil }
        var levels = [bytes]
        var offset = 0
        var count = TileLayout.width / 2
        while count >= 2 {
            levels.append(Array(stored[offset..<(offset + count * MerkleHash.size)]))
            offset += count * MerkleHash.size
            count /= 2
        }
        guard MerkleHash.parents(of: levels[TileLayout.height - 1]) == (try nodeHash(level: TileLayout.height, index: tile)) else {
            return nil
        }
        return levels
    }

    /// The entry at `index`.
    public func entry(at index: UInt64) throws -> [UInt8] {
        guard index < size else { throw BullaError(.notFound, "log \(path) has \(size) entries; there is no entry \(index)") }
        let bundle = index / UInt64(TileLayout.width)
        let entries = try TileLayout.entries(inBundle: try read(TileLayout.entriesPath(index: bundle, width: TileLayout.width(ofTile: bundle, count: size))))
        let slot = Int(index % UInt64(TileLayout.width))
        guard slot < entries.count else { throw BullaError(.malformedInput, "entry bundle \(bundle) of \(path) is short") }
        return entries[slot]
    }

    /// The hash of the perfect subtree at `level` (0 = leaves) and `index`, which must lie
    /// within the committed size: read from the tile that holds its level-8L descendants.
    public func nodeHash(level: Int, index: UInt64) throws -> [UInt8] {
        let tileLevel = level / TileLayout.height
        let height = level % TileLayout.height
        let first = index << UInt64(height)
        let tile = first / UInt64(TileLayout.width)
        let width = TileLayout.width(ofTile: tile, count: size >> UInt64(TileLayout.height * tileLevel))
        let slot = Int(first % UInt64(TileLayout.width))
        guard slot + (1 << height) <= width else {
            throw BullaError(.invalidArgument, "node \(level)/\(index) is not complete in a tree of \(size) leaves")
        }
        let levels = try pyramid(level: tileLevel, index: tile, width: width)
        let at = (slot >> height) * MerkleHash.size
        return Array(levels[height][at..<(at + MerkleHash.size)])
    }

    /// MTH of leaves `lo..<hi`, from perfect subtrees (the left part of every split is one).
    public func rangeHash(_ lo: UInt64, _ hi: UInt64) throws -> [UInt8] {
        let n = hi - lo
        if n == 0 { return MerkleHash.emptyRoot }
        if n & (n - 1) == 0, lo % n == 0 { return try nodeHash(level: n.trailingZeroBitCount, index: lo / n) }
        let k = MerkleProofs.split(n)
        return MerkleHash.node(try rangeHash(lo, lo + k), try rangeHash(lo + k, hi))
    }

    /// The inclusion proof of entry `index` in the first `treeSize` entries (default all), from tiles.
    public func inclusionProof(index: UInt64, size treeSize: UInt64? = nil) throws -> InclusionProof {
        let treeSize = treeSize ?? size
        guard treeSize <= size else { throw BullaError(.invalidArgument, "log \(path) has \(size) entries, fewer than \(treeSize)") }
        return try MerkleProofs.inclusion(index: index, size: treeSize, rangeHash)
    }

    /// The proof that the log at `oldSize` is a prefix of the log at `newSize` (default now).
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64? = nil) throws -> ConsistencyProof {
        let newSize = newSize ?? size
        guard newSize <= size else { throw BullaError(.invalidArgument, "log \(path) has \(size) entries, fewer than \(newSize)") }
        return try MerkleProofs.consistency(from: oldSize, to: newSize, rangeHash)
    }

    /// The root of the tree of the first `treeSize` entries.
    public func root(size treeSize: UInt64) throws -> [UInt8] {
        guard treeSize <= size else { throw BullaError(.invalidArgument, "log \(path) has \(size) entries, fewer than \(treeSize)") }
        return try rangeHash(0, treeSize)
    }
}

extension TransparencyLog {
    /// The last signed checkpoint, if any: the note's bytes.
    public func signedCheckpoint() throws -> [UInt8]? {
        try FileIO.readIfPresent("\(path)/checkpoint", limit: TileLayout.maxCheckpointBytes)
    }

    /// Signs a checkpoint of the current size with the log key and makes it the current one.
    ///
    /// The log never signs two inconsistent checkpoints: the previous one is verified with the
    /// same key, and a consistency proof from it to this tree is made and checked before the new
    /// one is signed.
    @discardableResult
    public func signCheckpoint(with key: SigningKey) throws -> [UInt8] {
        guard lock != nil else { throw BullaError(.invalidArgument, "log \(path) was opened for reading") }
        let verifier = try NoteVerifier(name: origin, key: key.publicKey)
        if let previous = try signedCheckpoint() {
            let (last, _) = try Checkpoint.verified(previous, by: [verifier], origin: origin)
            guard last.size <= size else {
                throw BullaError(.internalFailure, "log \(path) has \(size) entries but its last checkpoint signed \(last.size): refusing to sign a shorter tree")
            }
            if last.size > 0 {
                try consistencyProof(from: last.size).verify(oldRoot: last.rootHash, newRoot: root)
            } else {
                guard last.rootHash == MerkleHash.emptyRoot else { throw BullaError(.internalFailure, "the last checkpoint of \(path) signs an empty tree with a root") }
            }
        }
        let note = try SignedNote.sign(Checkpoint(origin: origin, size: size, rootHash: root).text, name: origin, key: key).serialized
        try DurableFile.replace("\(path)/checkpoint", with: note)
        try DurableFile.syncDirectory(path)
        return note
    }
}
