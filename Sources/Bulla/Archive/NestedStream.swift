import BullaCrypto
import CArchive

/// Decompresses one compressed entry of an outer archive while it streams past, hashing both
/// the stored and the expanded bytes in the same pass. Docker archives may hold compressed
/// layers whose digest (the config's diff ID) is of the expanded tar.
final class NestedStream {
    private let outer: ArchiveReader
    private var pending: UnsafeRawBufferPointer?
    private(set) var stored = StreamingDigest(.sha256)
    private(set) var storedSize: Int64 = 0
    private var failure: (any Error)?

    /// `first` is the entry's first block, already taken from `outer`.
    init(outer: ArchiveReader, first: UnsafeRawBufferPointer) {
        self.outer = outer
        pending = first
    }

    /// gzip, zstd, bzip2 and xz: the compressions skopeo expands in docker-archive layers.
    static func isCompressed(_ block: UnsafeRawBufferPointer) -> Bool {
        let magics: [[UInt8]] = [[0x1F, 0x8B], [0x28, 0xB5, 0x2F, 0xFD], [0x42, 0x5A, 0x68], [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]]
        return magics.contains { block.starts(with: $0) }
    }

    /// Expands the entry; returns the digest and size of the expanded bytes.
    func expand(name: String, limits: Limits) throws -> (digest: Digest, size: Int64) {
        if let reason = bulla_archive_unavailable() { throw BullaError.archiveSupportMissing(String(cString: reason)) }
        guard let handle = bulla_archive_read_new() else { throw BullaError(.internalFailure, "libarchive could not allocate a reader") }
        defer { bulla_archive_read_free(handle) }
        bulla_archive_read_support_filter_gzip(handle)
        bulla_archive_read_support_filter_zstd(handle)
        bulla_archive_read_support_filter_bzip2(handle)
        bulla_archive_read_support_filter_xz(handle)
        bulla_archive_read_support_format_raw(handle)
        let context = Unmanaged.passUnretained(self).toOpaque()
        var expanded = StreamingDigest(.sha256)
        var size: Int64 = 0
        func fail(_ what: String) -> any Error {
            if let failure { return failure }
            let reason = bulla_archive_error_string(handle).map { String(cString: $0) } ?? what
            return BullaError(.malformedInput, "\(outer.path): entry \(name): \(what): compressed stream is truncated or corrupt", underlying: reason)
        }
        guard bulla_archive_read_open(handle, context, nil, { _, context, buffer in
            Unmanaged<NestedStream>.fromOpaque(context!).takeUnretainedValue().supply(buffer!)
        }, nil) == ARCHIVE_OK else { throw fail("cannot open") }
        var entry: OpaquePointer?
        guard bulla_archive_read_next_header(handle, &entry) == ARCHIVE_OK else { throw fail("cannot read") }
        while true {
            var block: UnsafeRawPointer?
            var count = 0
            var offset: la_int64_t = 0
            let status = bulla_archive_read_data_block(handle, &block, &count, &offset)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw fail("cannot expand") }
            expanded.update(UnsafeRawBufferPointer(start: block, count: count))
            size += Int64(count)
            if size > limits.maxEntryBytes || (size > limits.ratioGrace && Double(size) / Double(max(storedSize, 1)) > limits.maxCompressionRatio) {
                throw BullaError(
                    .limitExceeded,
                    "\(outer.path): entry \(name) looks like a decompression bomb: \(storedSize) bytes expanded to \(size), past the limits")
            }
        }
        // Whatever follows the compressed stream still belongs to the entry's stored bytes.
        while let block = try outer.nextBlock() { take(block) }
        return (expanded.finalize(), size)
    }

    private func supply(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> la_ssize_t {
        do {
            let block: UnsafeRawBufferPointer?
            if let first = pending {
                pending = nil
                block = first
            } else {
                block = try outer.nextBlock()
            }
            guard let block else { return 0 }
            take(block)
            buffer.pointee = block.baseAddress
            return la_ssize_t(block.count)
        } catch {
            failure = error
            return -1
        }
    }

    private func take(_ block: UnsafeRawBufferPointer) {
        stored.update(block)
        storedSize += Int64(block.count)
    }
}
