#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams files through a hash with large reads, the way `openssl dgst` does but with fewer
/// system calls. One instance owns one buffer: give each thread its own.
public final class FileDigester {
    /// 1 MiB: large enough that read(2) costs little next to hashing, small enough for L2.
    public static let defaultBufferSize = 1 << 20

    private let buffer: UnsafeMutableRawBufferPointer

    /// Allocates the one page-aligned read buffer (at least 4 KiB) this digester reuses for every file.
    public init(bufferSize: Int = FileDigester.defaultBufferSize) {
        buffer = .allocate(byteCount: max(4096, bufferSize), alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// Opens `path` for reading, refusing anything but a regular file.
    ///
    /// The open is non-blocking so a FIFO or device planted where a blob should be is refused at
    /// once instead of waiting for a writer; blocking mode is restored for the reads.
    public static func openRegularFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw BullaError.opening(path)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw BullaError(.malformedInput, "\(path) is not a regular file")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The digest and length of the file at `path`, reading at most `limit` bytes.
    ///
    /// `progress` is called after each read with the bytes just hashed, and `consume` (a copy
    /// to somewhere else) with the bytes themselves. Throws `.notFound` when
    /// the file is missing, `.ioFailure` for other read errors, `.limitExceeded` past `limit`.
    public func digest(
        ofFileAt path: String,
        algorithm: DigestAlgorithm = .sha256,
        limit: Int64 = .max,
        progress: ((Int) -> Void)? = nil,
        consume: (UnsafeRawBufferPointer) throws -> Void = { _ in }
    ) throws -> (digest: Digest, size: Int64) {
        let fd = try Self.openRegularFile(path)
        defer { close(fd) }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        var hasher = StreamingDigest(algorithm)
        var total: Int64 = 0
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw BullaError.system("cannot read \(path)")
            }
            total += Int64(count)
            guard total <= limit else {
                throw BullaError(.limitExceeded, "\(path) is larger than the limit of \(limit) bytes")
            }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(piece)
            try consume(piece)
            progress?(count)
        }
        return (hasher.finalize(), total)
    }
}
