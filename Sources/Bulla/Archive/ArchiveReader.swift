import BullaCrypto
import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Owns one libarchive read handle: the only holder of that pointer.
///
/// Reads tar (ustar, pax, GNU) under no compression, gzip or zstd, entry by entry, streaming.
/// After every data block it enforces the expansion limits, so a decompression bomb is stopped
/// after at most `ratioGrace` bytes plus one block.
final class ArchiveReader {
    private let handle: OpaquePointer
    let path: String
    private let limits: Limits

    /// One entry's header, as stored; nothing in it is trusted yet.
    struct Entry {
        enum Kind { case file, directory, symlink, hardlink, other(UInt32) }
        var name: [UInt8]?
        var kind: Kind
        var size: Int64
        var linkTarget: [UInt8]?
        var isSparse: Bool
    }

    /// Opens the tar at `path`, plain or compressed.
    init(path: String, limits: Limits) throws {
        self.path = path
        self.limits = limits
        if let reason = bulla_archive_unavailable() { throw BullaError.archiveSupportMissing(String(cString: reason)) }
        guard let handle = bulla_archive_read_new() else {
            throw BullaError(.internalFailure, "libarchive could not allocate a reader")
        }
        self.handle = handle
        bulla_archive_read_support_filter_gzip(handle)
        bulla_archive_read_support_filter_zstd(handle)
        bulla_archive_read_support_format_tar(handle)
        guard FileIO.size(path) != nil else {
            throw BullaError(.notFound, "\(path) does not exist")
        }
        try check(bulla_archive_read_open_filename(handle, path, 1 << 20), "cannot open")
    }

    deinit { bulla_archive_read_free(handle) }

    /// The compression around the tar: "none", "gzip" or "zstd".
    var compression: String {
        bulla_archive_filter_name(handle, 0).map { String(cString: $0) } ?? "none"
    }

    /// Bytes read from the file so far, before decompression.
    var compressedBytesRead: Int64 { bulla_archive_filter_bytes(handle, -1) }
    /// Bytes produced by decompression so far.
    var expandedBytes: Int64 { bulla_archive_filter_bytes(handle, 0) }

    /// The next entry's header, or nil at the end of the archive.
    func next() throws -> Entry? {
        var entry: OpaquePointer?
        let status = bulla_archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        if status != ARCHIVE_OK && status != ARCHIVE_WARN { try check(status, "cannot read the next entry") }
        guard let entry else { throw BullaError(.malformedInput, "\(path): libarchive returned no entry") }
        let type = UInt32(bulla_archive_entry_filetype(entry))
        let hardlink = bulla_archive_entry_hardlink(entry)
        let kind: Entry.Kind
        if hardlink != nil {
            kind = .hardlink
        } else {
            switch type {
            case 0o100000: kind = .file
            case 0o040000: kind = .directory
            case 0o120000: kind = .symlink
            default: kind = .other(type)
            }
        }
        let link = hardlink ?? bulla_archive_entry_symlink(entry)
        return Entry(
            name: bulla_archive_entry_pathname(entry).map(Self.bytes),
            kind: kind,
            size: bulla_archive_entry_size_is_set(entry) != 0 ? bulla_archive_entry_size(entry) : 0,
            linkTarget: link.map(Self.bytes),
            isSparse: bulla_archive_entry_sparse_count(entry) > 0)
    }

    /// The next block of the current entry's data, valid until the next call; nil at its end.
    func nextBlock() throws -> UnsafeRawBufferPointer? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = bulla_archive_read_data_block(handle, &buffer, &size, &offset)
        if status == ARCHIVE_EOF { return nil }
        if status != ARCHIVE_OK && status != ARCHIVE_WARN { try check(status, "cannot read entry data") }
        try checkExpansion()
        return UnsafeRawBufferPointer(start: buffer, count: size)
    }

    /// Skips the rest of the current entry.
    func skip() throws {
        try check(bulla_archive_read_data_skip(handle), "cannot skip entry data")
        try checkExpansion()
    }

    private func checkExpansion() throws {
        let expanded = expandedBytes
        guard expanded <= limits.maxArchiveBytes else {
            throw BullaError(.limitExceeded, "\(path) expands past the limit of \(limits.maxArchiveBytes) bytes")
        }
        let compressed = max(compressedBytesRead, 1)
        if expanded > limits.ratioGrace, Double(expanded) / Double(compressed) > limits.maxCompressionRatio {
            throw BullaError(
                .limitExceeded,
                "\(path) looks like a decompression bomb: \(compressed) \(compression) bytes expanded to \(expanded), a ratio over the limit of \(Int(limits.maxCompressionRatio)):1")
        }
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status != ARCHIVE_OK else { return }
        let reason = bulla_archive_error_string(handle).map { String(cString: $0) } ?? "error \(status)"
        let lower = reason.lowercased()
        // Before the open completes the filter chain is not set up, so take the stream's name
        // from libarchive's reason when it gives one.
        let stream = ["gzip", "zstd"].first { lower.contains($0) } ?? (compression == "none" ? "tar" : compression)
        let hint = lower.contains("truncated") || lower.contains("premature end") || lower.contains("unexpected end")
            ? "the \(stream) stream is truncated"
            : lower.contains("unrecognized archive format") ? "not a tar archive (plain, gzip or zstd)"
            : "the archive is corrupt"
        throw BullaError(.malformedInput, "\(path): \(what): \(hint)", underlying: reason)
    }

    private static func bytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
    }
}

extension BullaError {
    /// libarchive.so.13 could not be opened, or lacks a function (it is loaded only when an
    /// archive is read); `reason` is the loader's message or the missing function.
    static func archiveSupportMissing(_ reason: String) -> BullaError {
        BullaError(.unsupported, "reading archives needs libarchive (on Debian and Ubuntu: apt-get install libarchive13)", underlying: reason)
    }
}
