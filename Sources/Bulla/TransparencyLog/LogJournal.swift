import BullaCrypto
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write-ahead journal in front of a transparency log. Appending to the tree costs several
/// flushes and a signature per batch; appending to the journal costs one `fdatasync` for a whole
/// group. A writer that must answer within milliseconds (the admission webhook) journals each
/// entry, answers, and folds the journal into the tree in the background. Nothing journaled is
/// lost by a crash: ``TransparencyLog/foldJournal(with:)`` appends what the tree lacks when the
/// log is next opened (spec/transparency-log.md, "Journal").
///
/// A segment is `LOG/journal/<base>`, `<base>` (20 decimal digits) the log index of its first
/// entry. `append` is called from one thread at a time; `allocateAhead` may run on another.
public final class LogJournal: @unchecked Sendable {
    /// The 16 bytes a segment starts with; the big-endian uint64 base follows.
    public static let magic: [UInt8] = Array("bulla-journal-v1".utf8)
    static let headerBytes = 24
    /// A segment holds at most this many entries and bytes (so it is read back whole within
    /// bounded memory); the writer starts a new one when the next group would not fit.
    public static let maxSegmentEntries: UInt64 = 65_536
    /// At most 64 MiB of records per segment, so a segment is read back whole within bounded memory.
    public static let maxSegmentBytes = 64 << 20
    /// Space is allocated ahead of the records, in zeros, this much at a time: overwriting
    /// allocated blocks changes no file metadata, so each group's `fdatasync` flushes only data
    /// and never waits for a file-system journal commit.
    static let allocationChunk = 8 << 20
    /// Each record is a big-endian uint32 length, the entry, and the entry's SHA-256.
    static let recordOverhead = 4 + 32

    /// The segment file, `LOG/journal/<base>`, named in errors.
    public let path: String
    /// The log index of the segment's first entry.
    public let base: UInt64
    /// Entries appended to this segment so far; ``next`` is the log index the next one gets.
    public private(set) var count: UInt64 = 0
    private var bytes = LogJournal.headerBytes
    /// How far the records reach, for `allocateAhead`.
    private let written = Atomic<Int>(LogJournal.headerBytes)
    /// The file's durable size: records, then zeros up to here.
    private let allocated = Atomic<Int>(0)
    /// Held while the file is being extended.
    private let allocating = Mutex(())
    private let fd: Int32
    /// Set when a failed write could not be zeroed: the segment takes no more.
    private var broken: BullaError?

    /// The log index the next entry will have.
    public var next: UInt64 { base + count }

    /// Whether `entries` fit in this segment.
    public func hasRoom(for entries: [[UInt8]]) -> Bool {
        count + UInt64(entries.count) <= Self.maxSegmentEntries && bytes + Self.recordBytes(entries) <= Self.maxSegmentBytes
    }

    static func recordBytes(_ entries: [[UInt8]]) -> Int { entries.reduce(0) { $0 + $1.count + recordOverhead } }

    static func directory(of log: String) -> String { "\(log)/journal" }

    static func segmentPath(_ directory: String, base: UInt64) -> String {
        let digits = String(base)
        return "\(directory)/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// Starts a new, durable, empty segment in the journal of the log at `log`, whose first
    /// entry will be log entry `base`.
    public init(log: String, base: UInt64) throws {
        let directory = Self.directory(of: log)
        let made = !FileIO.isDirectory(directory)
        try FileIO.makeDirectories(directory, under: log)
        path = Self.segmentPath(directory, base: base)
        self.base = base
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BullaError.system("cannot create the journal segment \(path)")
        }
        do {
            var header = Self.magic
            withUnsafeBytes(of: base.bigEndian) { header += $0 }
            try header.withUnsafeBytes { try DurableFile.writeAll($0, to: fd, path: path) }
            allocated.store(header.count, ordering: .releasing)
            try allocate(atLeast: Self.allocationChunk)
            try DurableFile.syncDirectory(directory)
            if made { try DurableFile.syncDirectory(log) }
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// Appends `entries` with one write and one flush; when this returns they are durable.
    /// Returns their log indices.
    @discardableResult
    public func append(_ entries: [[UInt8]]) throws -> Range<UInt64> {
        if let long = entries.firstIndex(where: { $0.isEmpty || $0.count > TileLayout.maxEntryBytes }) {
            throw BullaError(.limitExceeded, "entry \(long) of the group is \(entries[long].count) bytes; a log entry is 1 to \(TileLayout.maxEntryBytes)")
        }
        guard hasRoom(for: entries) else {
            throw BullaError(.limitExceeded, "journal segment \(path) has no room for \(entries.count) more entries; start a new one")
        }
        var records: [UInt8] = []
        records.reserveCapacity(Self.recordBytes(entries))
        for entry in entries {
            withUnsafeBytes(of: UInt32(entry.count).bigEndian) { records += $0 }
            records += entry
            records += Digest.compute(.sha256, over: entry).bytes
        }
        if let broken { throw broken }
        if bytes + records.count > allocated.load(ordering: .acquiring) { try allocate(atLeast: bytes + records.count) }
        do {
            try records.withUnsafeBytes { try DurableFile.writeAll($0, to: fd, path: path, at: bytes) }
            try DurableFile.flush(fd, path: path, dataOnly: true)
        } catch {
            // Nothing of a group that failed may be read back as journaled: its bytes are
            // zeroed, and if even that fails the segment takes no more.
            let zeros = [UInt8](repeating: 0, count: records.count)
            do {
                try zeros.withUnsafeBytes { try DurableFile.writeAll($0, to: fd, path: path, at: bytes) }
                try DurableFile.flush(fd, path: path, dataOnly: true)
            } catch {
                broken = BullaError(.ioFailure, "journal segment \(path) could not take back a failed write; it takes no more entries")
            }
            throw error
        }
        let first = next
        count += UInt64(entries.count)
        bytes += records.count
        written.store(bytes, ordering: .releasing)
        return first..<next
    }

    /// Whether less than half a chunk of allocated space is left past the records.
    public var needsSpace: Bool {
        let allocated = allocated.load(ordering: .acquiring)
        return allocated < Self.maxSegmentBytes && allocated - written.load(ordering: .acquiring) < Self.allocationChunk / 2
    }

    /// Allocates the next chunk when ``needsSpace``; meant for another thread, while appends
    /// go on, so no append waits for the zeros to be written.
    public func allocateAhead() throws {
        guard needsSpace else { return }
        try allocate(atLeast: allocated.load(ordering: .acquiring) + 1)
    }

    /// Extends the file with zeros, a chunk at a time, to hold at least `size` bytes, and
    /// flushes it with its new size.
    private func allocate(atLeast size: Int) throws {
        try allocating.withLock { _ in
            var end = allocated.load(ordering: .acquiring)
            let target = min(Self.maxSegmentBytes, (size + Self.allocationChunk - 1) / Self.allocationChunk * Self.allocationChunk)
            guard end < target else { return }
            let zeros = [UInt8](repeating: 0, count: 1 << 20)
            while end < target {
                let count = min(zeros.count, target - end)
                try zeros.withUnsafeBytes { try DurableFile.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: fd, path: path, at: end) }
                end += count
            }
            try DurableFile.flush(fd, path: path)
            allocated.store(end, ordering: .releasing)
        }
    }

    /// A segment as read back.
    public struct Segment: Sendable {
        /// The segment file read, named in errors and removed once folded.
        public let path: String
        /// The log index of the segment's first entry, from its file name and header.
        public let base: UInt64
        /// The whole records in order, each checked against its SHA-256: what a fold appends.
        public let entries: [[UInt8]]
        /// Bytes after the last whole record, up to the last that is not zero: a write that was
        /// cut short, never acknowledged. (Zeros after the records are space allocated ahead.)
        public let tornBytes: Int

        /// The log index just past the segment's last entry, where the next segment must start.
        public var end: UInt64 { base + UInt64(entries.count) }
    }

    /// The first entry of each of the journal's segments, oldest first (their file names).
    public static func bases(of log: String) throws -> [UInt64] {
        try FileIO.names(in: directory(of: log)).compactMap { name in
            name.count == 20 && name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) ? UInt64(name) : nil
        }.sorted()
    }

    /// Reads the segment starting at `base` (at most 64 MiB).
    public static func segment(of log: String, base: UInt64) throws -> Segment {
        let path = segmentPath(directory(of: log), base: base)
        return try segment(try FileIO.read(path, limit: maxSegmentBytes), path: path, base: base)
    }

    /// Reads a segment's bytes; `path` and `base` are what its file name says.
    public static func segment(_ bytes: [UInt8], path: String, base: UInt64) throws -> Segment {
        // A header cut short or never flushed (zeros): the segment was being created when the
        // writer stopped, and holds nothing acknowledged.
        guard bytes.count >= headerBytes, bytes[0..<headerBytes].contains(where: { $0 != 0 }) else {
            return Segment(path: path, base: base, entries: [], tornBytes: 0)
        }
        guard Array(bytes[0..<16]) == magic else { throw BullaError(.malformedInput, "\(path) is not a journal segment (no bulla-journal-v1 header)") }
        let stated = bytes[16..<24].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard stated == base else { throw BullaError(.malformedInput, "journal segment \(path) says its first entry is \(stated)") }
        var entries: [[UInt8]] = []
        var offset = headerBytes
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let end = offset + 4 + length + 32
            guard length > 0, length <= TileLayout.maxEntryBytes, end <= bytes.count else { break }
            let entry = Array(bytes[offset + 4..<offset + 4 + length])
            guard Digest.compute(.sha256, over: entry).bytes == Array(bytes[end - 32..<end]) else { break }
            entries.append(entry)
            offset = end
        }
        let lastWritten = bytes.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0
        return Segment(path: path, base: base, entries: entries, tornBytes: max(0, lastWritten - offset))
    }
}

extension TransparencyLog {
    /// What folding the journal did.
    public struct JournalFold: Sendable {
        /// Entries appended to the tree.
        public var added: Int
        /// Bytes of records cut short, dropped (they were never acknowledged).
        public var tornBytes: Int
    }

    /// Appends what the journal holds past the tree and signs a checkpoint over it, then
    /// removes the segments the tree covers. The whole journal is checked first, a segment in
    /// memory at a time, and nothing is appended from one that would make the log's indices lie:
    /// a gap (acknowledged entries missing), segments that do not follow each other (which is
    /// also how a damaged record before a newer segment shows), entries that differ from the
    /// tree's where they overlap, or a file that is not a segment.
    @discardableResult
    public func foldJournal(with key: SigningKey) throws -> JournalFold {
        let bases = try LogJournal.bases(of: path)
        var expected: UInt64?
        var torn = 0
        for (position, base) in bases.enumerated() {
            let segment = try LogJournal.segment(of: path, base: base)
            if let expected, base != expected {
                throw BullaError(.malformedInput, "journal segment \(segment.path) starts at entry \(base); the one before it ends at \(expected)")
            }
            guard position > 0 || base <= size else {
                throw BullaError(.malformedInput, "journal segment \(segment.path) starts at entry \(base), but the log holds only \(size)")
            }
            // Where the segment and the tree overlap they must hold the same entries: the
            // first and last in common are compared (a log appended to by another writer
            // since would differ at the first).
            let overlap = base..<max(base, min(segment.end, size))
            for index in [overlap.lowerBound, overlap.upperBound &- 1] where overlap.contains(index) {
                guard try entry(at: index) == segment.entries[Int(index - base)] else {
                    throw BullaError(.malformedInput, "journal segment \(segment.path) holds another entry \(index) than the log's tree")
                }
            }
            expected = segment.end
            torn += segment.tornBytes
        }
        var added = 0
        for base in bases {
            let segment = try LogJournal.segment(of: path, base: base)
            if segment.end > size {
                let missing = Array(segment.entries.dropFirst(Int(size - segment.base)))
                try append(missing)
                added += missing.count
            }
            FileIO.remove(segment.path)
        }
        if added > 0 { try signCheckpoint(with: key) }
        return JournalFold(added: added, tornBytes: torn)
    }

    /// Entries in the journal that the tree does not hold yet (what the next fold would add).
    public func journaledEntries() throws -> UInt64 {
        try LogJournal.bases(of: path).reduce(0) { total, base in
            // A running writer removes segments it has folded.
            let segment: LogJournal.Segment
            do {
                segment = try LogJournal.segment(of: path, base: base)
            } catch let error where error.bullaCode == .notFound {
                return total
            }
            return total + (segment.end > size ? segment.end - max(segment.base, size) : 0)
        }
    }
}
