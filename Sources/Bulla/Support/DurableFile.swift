import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files Bulla writes (keys, bundles, layout blobs): created with an exact mode and flushed to
/// disk before the write returns.
public enum DurableFile {
    /// Writes `bytes` to a new file with `mode`, refusing to replace one unless `overwrite`.
    /// The data is flushed to disk before the call returns, unless `flush` is false because the
    /// caller flushes the whole file system once for many files (``syncFileSystem(of:)``).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t, overwrite: Bool = false, flush: Bool = true) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw BullaError(.invalidArgument, "\(path) exists; pass --force to replace it") }
            throw BullaError.system("cannot create \(path)")
        }
        defer { close(fd) }
        // O_CREAT honours the umask; a replaced file keeps its old mode: set it explicitly.
        guard fchmod(fd, mode) == 0 else { throw BullaError.system("cannot set the mode of \(path)") }
        try bytes.withUnsafeBytes { try writeAll($0, to: fd, path: path) }
        if flush { try DurableFile.flush(fd, path: path) }
    }

    /// Replaces `path` whole: the bytes go to a temporary name, are flushed (unless `flush` is
    /// false, as for ``write(_:to:mode:overwrite:flush:)``), and are renamed over it, so a reader
    /// (or a crash) sees the old file or the new one, never a mix. The directory entry is
    /// durable once the caller flushes the directory (``syncDirectory(_:)``) or the file system,
    /// which a batch of replacements does once.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644, flush: Bool = true) throws {
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try write(bytes, to: temporary, mode: mode, overwrite: true, flush: flush)
            try move(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Makes the file `path` from the pieces `produce` hands over, through a temporary name
    /// beside it: `path` appears, whole and (unless `flush` is false) flushed, only if
    /// `produce` returns; otherwise nothing is left behind. The directory entry is durable
    /// once the caller flushes the directory or the file system.
    static func produce(_ path: String, flush: Bool, _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temporary = "\(path).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BullaError.system("cannot create \(temporary)") }
        do {
            defer { close(fd) }
            try produce { try writeAll($0, to: fd, path: temporary) }
            if flush { try DurableFile.flush(fd, path: temporary) }
            try move(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Puts the finished file `temporary` in `path`'s place in one step (rename(2)), so a
    /// reader sees the old file or the new one, never a part.
    static func move(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            throw BullaError.system("cannot rename \(temporary) to \(path)")
        }
    }

    /// Writes all of `buffer` to `fd`, however many calls that takes: at the file offset, or at
    /// `position` (pwrite) when one is given.
    static func writeAll(_ buffer: UnsafeRawBufferPointer, to fd: Int32, path: String, at position: Int? = nil) throws {
        var offset = 0
        while offset < buffer.count {
            let n = position.map { pwrite(fd, buffer.baseAddress! + offset, buffer.count - offset, off_t($0 + offset)) }
                ?? Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BullaError.system("cannot write \(path)") }
            offset += n
        }
    }

    /// Flushes `fd` to disk: data and metadata, or with `dataOnly` what reading the data back
    /// needs (`fdatasync`: a file size that did not change is not written again).
    static func flush(_ fd: Int32, path: String, dataOnly: Bool = false) throws {
        guard (dataOnly ? fdatasync(fd) : fsync(fd)) == 0 else {
            throw BullaError.system("cannot flush \(path)")
        }
    }

    /// Flushes a directory's entries (new names, renames) to disk.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BullaError.system("cannot open directory \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BullaError.system("cannot flush directory \(path)") }
    }

    /// Linux's `syncfs(2)`, which the C library declares only under _GNU_SOURCE: looked up once.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Whether ``syncFileSystem(of:)`` is one call here (Linux's `syncfs`); elsewhere each file
    /// and directory is flushed on its own.
    public static var canSyncFileSystem: Bool { syncfs != nil }

    /// Flushes everything written to the file system holding `path` — file data, new names and
    /// renames — in one journal commit, instead of one per file and directory.
    public static func syncFileSystem(of path: String) throws {
        guard let syncfs else { throw BullaError(.unsupported, "no syncfs on this system") }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BullaError.system("cannot open directory \(path)") }
        defer { close(fd) }
        guard syncfs(fd) == 0 else { throw BullaError.system("cannot flush the file system of \(path)") }
    }
}
