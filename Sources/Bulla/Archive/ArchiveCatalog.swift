import BullaCrypto

/// What one streaming pass over a tar learned: each file's size and digest, links resolved
/// inside the archive, and the small JSON files kept in memory for parsing.
///
/// Nothing is extracted to disk. Every entry is checked as it passes: names must be UTF-8,
/// relative and free of `..`; links must resolve inside the archive; sizes, counts and expansion
/// stay within ``Limits``; a name seen twice must have the same content both times.
struct ArchiveCatalog: LayoutStorage {
    struct File: Sendable {
        var size: Int64
        /// Of the stored bytes; SHA-512 under `blobs/sha512/`, else SHA-256.
        var digest: Digest
        /// The bytes, for small JSON files.
        var contents: [UInt8]?
        /// Digest and size after gzip/zstd expansion, for compressed entries when asked for.
        var expanded: (digest: Digest, size: Int64)?
    }

    let path: String
    let limits: Limits
    private(set) var files: [String: File] = [:]
    /// Link name → the name it resolves to (symlinks and hard links).
    private(set) var links: [String: String] = [:]

    var location: String { path }

    /// Reads the whole archive once. `decompressNested` also expands compressed entries (for
    /// docker-archive layers). `progress` gets (bytes read, file size).
    static func scan(
        _ path: String, limits: Limits, decompressNested: Bool = false,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) throws -> ArchiveCatalog {
        var catalog = ArchiveCatalog(path: path, limits: limits)
        let reader = try ArchiveReader(path: path, limits: limits)
        let total = FileIO.size(path) ?? 0
        var entries = 0
        var retained = 0
        while let entry = try reader.next() {
            entries += 1
            guard entries <= limits.maxArchiveEntries else {
                throw BullaError(.limitExceeded, "\(path) has more than the limit of \(limits.maxArchiveEntries) entries")
            }
            let name = try ArchivePath.normalize(entry.name, in: path)
            try catalog.add(entry, named: name, from: reader, decompressNested: decompressNested, retained: &retained)
            progress?(reader.compressedBytesRead, total)
        }
        try catalog.checkLinks()
        return catalog
    }

    private init(path: String, limits: Limits) {
        self.path = path
        self.limits = limits
    }

    private mutating func add(
        _ entry: ArchiveReader.Entry, named name: String, from reader: ArchiveReader,
        decompressNested: Bool, retained: inout Int
    ) throws {
        switch entry.kind {
        case .directory:
            try reader.skip()
        case .symlink, .hardlink:
            let target = try ArchivePath.resolveLink(entry.linkTarget, from: name, hard: entry.kind.isHardlink, in: path)
            try insertLink(name, to: target)
            try reader.skip()
        case .other(let type):
            throw BullaError(.unsafeArchive, "\(path): entry \(name) is a special file (type 0o\(String(type, radix: 8))); only files, directories and links are accepted")
        case .file:
            guard !entry.isSparse else {
                throw BullaError(.unsafeArchive, "\(path): entry \(name) is a sparse file; image archives have none")
            }
            guard entry.size <= limits.maxEntryBytes else {
                throw BullaError(.limitExceeded, "\(path): entry \(name) declares \(entry.size) bytes, more than the limit of \(limits.maxEntryBytes)")
            }
            let file = try read(entry, named: name, from: reader, decompressNested: decompressNested, retained: &retained)
            try insertFile(name, file)
        }
    }

    private func read(
        _ entry: ArchiveReader.Entry, named name: String, from reader: ArchiveReader,
        decompressNested: Bool, retained: inout Int
    ) throws -> File {
        var hasher = StreamingDigest(ArchivePath.algorithm(for: name))
        guard let first = try reader.nextBlock() else {
            return File(size: 0, digest: hasher.finalize(), contents: [])
        }
        if decompressNested, hasher.algorithm == .sha256, NestedStream.isCompressed(first) {
            let stream = NestedStream(outer: reader, first: first)
            let expanded = try stream.expand(name: name, limits: limits)
            return File(size: stream.storedSize, digest: stream.stored.finalize(), contents: nil, expanded: expanded)
        }
        let keep = entry.size <= limits.maxManifestBytes && retained + Int(entry.size) <= limits.maxRetainedBytes
            && first.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }).map { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") } == true
        var contents: [UInt8]? = keep ? [] : nil
        var size: Int64 = 0
        var block: UnsafeRawBufferPointer? = first
        while let current = block {
            hasher.update(current)
            size += Int64(current.count)
            if contents != nil {
                if size > limits.maxManifestBytes { contents = nil } else { contents!.append(contentsOf: current) }
            }
            block = try reader.nextBlock()
        }
        if let contents { retained += contents.count }
        return File(size: size, digest: hasher.finalize(), contents: contents)
    }

    private mutating func insertFile(_ name: String, _ file: File) throws {
        guard links[name] == nil else {
            throw BullaError(.unsafeArchive, "\(path): \(name) appears twice, once as a link and once as a file")
        }
        if let earlier = files[name] {
            guard earlier.digest == file.digest, earlier.size == file.size else {
                throw BullaError(.unsafeArchive, "\(path): \(name) appears twice with different content (\(earlier.digest.abbreviated), then \(file.digest.abbreviated))")
            }
            return
        }
        files[name] = file
    }

    private mutating func insertLink(_ name: String, to target: String) throws {
        guard files[name] == nil, links[name] == nil || links[name] == target else {
            throw BullaError(.unsafeArchive, "\(path): \(name) appears twice with different content")
        }
        links[name] = target
    }

    /// Every link must end at a file of the archive, within a bounded number of hops.
    private func checkLinks() throws {
        for name in links.keys where entry(name) == nil {
            throw BullaError(.unsafeArchive, "\(path): link \(name) → \(links[name]!) does not end at a file inside the archive")
        }
    }

    func contains(_ name: String) -> Bool { entry(name) != nil }

    /// The file `name` denotes, following links (at most 16 hops).
    func entry(_ name: String) -> File? {
        var current = name
        for _ in 0..<16 {
            if let file = files[current] { return file }
            guard let next = links[current] else { return nil }
            current = next
        }
        return nil
    }

    // MARK: LayoutStorage

    func file(_ name: String, limit: Int) throws -> [UInt8] {
        guard let file = entry(name) else { throw BullaError(.notFound, "\(path) has no entry \(name)") }
        guard file.size <= limit else {
            throw BullaError(.limitExceeded, "\(path): \(name) is \(file.size) bytes, more than the limit of \(limit)")
        }
        if let contents = file.contents { return contents }
        return try reread(name, limit: limit)
    }

    func blob(_ digest: Digest, limit: Int) throws -> [UInt8] {
        guard contains(Self.blobPath(digest)) else {
            throw BullaError(.notFound, "blob \(digest) is missing from \(path) (no \(Self.blobPath(digest)))")
        }
        return try file(Self.blobPath(digest), limit: limit)
    }

    func verifyBlob(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws {
        let name = Self.blobPath(descriptor.digest)
        guard let file = entry(name) else {
            throw BullaError(.notFound, "blob \(descriptor.digest) is missing from \(path) (no \(name))")
        }
        try Self.compare(file.size, file.digest, against: descriptor, in: path)
        progress?(Int(file.size))
    }

    static func compare(_ size: Int64, _ digest: Digest, against descriptor: Descriptor, in location: String) throws {
        guard size == descriptor.size else { throw BlobCheck.sizeMismatch(descriptor, read: size, in: location) }
        guard digest == descriptor.digest else { throw BlobCheck.digestMismatch(descriptor, found: digest, in: location) }
    }

    /// A second pass for a file too large to have been kept: rare, for configs over 4 MiB.
    private func reread(_ name: String, limit: Int) throws -> [UInt8] {
        var target = name
        while let next = links[target] { target = next }
        let reader = try ArchiveReader(path: path, limits: limits)
        while let entry = try reader.next() {
            guard case .file = entry.kind, (try? ArchivePath.normalize(entry.name, in: path)) == target else {
                try reader.skip()
                continue
            }
            var bytes: [UInt8] = []
            while let block = try reader.nextBlock() {
                bytes.append(contentsOf: block)
                guard bytes.count <= limit else {
                    throw BullaError(.limitExceeded, "\(path): \(name) is more than the limit of \(limit) bytes")
                }
            }
            return bytes
        }
        throw BullaError(.notFound, "\(path) has no entry \(name)")
    }
}

extension ArchiveReader.Entry.Kind {
    var isHardlink: Bool {
        if case .hardlink = self { return true }
        return false
    }
}
