import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounded file reads: a file is refused before it is read if it is larger than asked for.
enum FileIO {
    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = try FileDigester.openRegularFile(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw openError(path) }
        guard info.st_size <= limit else {
            throw BullaError(.limitExceeded, "\(path) is \(info.st_size) bytes, more than the limit of \(limit)")
        }
        // Filled by read(2) before anything looks at it, so not zeroed first; a file that
        // shrank while being read keeps only what was read.
        return try [UInt8](unsafeUninitializedCapacity: Int(info.st_size)) { buffer, initialized in
            while initialized < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    if n == 0 { break }
                    throw BullaError.system("cannot read \(path)")
                }
                initialized += n
            }
        }
    }

    /// The file's bytes, or nil when there is no such file; every other failure is thrown.
    static func readIfPresent(_ path: String, limit: Int) throws -> [UInt8]? {
        do {
            return try read(path, limit: limit)
        } catch let error where error.bullaCode == .notFound {
            return nil
        }
    }

    /// Makes `directory` unless it exists already (its parent must exist).
    static func makeDirectory(_ directory: String) throws {
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw BullaError.system("cannot create \(directory)")
        }
    }

    /// Removes the file at `path` if it is there: for leftovers and files whose content is
    /// kept elsewhere already, where a failure changes nothing a reader sees.
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Makes `directory` and every missing directory above it, from `root` (which exists)
    /// down; without `root`, from the top of the path.
    static func makeDirectories(_ directory: String, under root: String? = nil) throws {
        var current = root ?? (directory.hasPrefix("/") ? "" : ".")
        for part in directory.dropFirst(root?.count ?? 0).split(separator: "/") {
            current += "/\(part)"
            try makeDirectory(current)
        }
    }

    /// The names in `directory` (without `.` and `..`); none when it does not exist.
    static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw BullaError.system("cannot read \(directory)")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func size(_ path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    private static func openError(_ path: String) -> BullaError {  // after a failed fstat
        BullaError.opening(path)
    }
}
