#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BullaError {
    /// The error for a system call that just failed: `errno`, read here and nowhere else, is
    /// named in `underlying`, so every file operation reports the operating system's reason
    /// the same way. Call it at once, before anything else can change `errno`.
    public static func system(_ message: String, code: Code = .ioFailure, file: String = #fileID, line: UInt = #line) -> BullaError {
        let number = errno
        return BullaError(code, message, underlying: String(cString: strerror(number)), file: file, line: line)
    }

    /// The error for an `open` or `stat` of `path` that just failed: `.notFound` when there is
    /// no such file, `.ioFailure` otherwise.
    public static func opening(_ path: String, file: String = #fileID, line: UInt = #line) -> BullaError {
        errno == ENOENT ? system("\(path) does not exist", code: .notFound, file: file, line: line) : system("cannot open \(path)", file: file, line: line)
    }
}
