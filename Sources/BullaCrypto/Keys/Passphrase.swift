#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A passphrase held in memory the library owns, zeroed when the last copy goes away.
///
/// It has no `description` that shows the bytes, so it cannot end up in a log line by accident.
public final class Passphrase: @unchecked Sendable, CustomStringConvertible {
    // @unchecked: the buffer is written once in init and only read afterwards.
    private let storage: UnsafeMutableRawBufferPointer

    /// Where the passphrase came from (`BULLA_PASSWORD`, `--passphrase-file FILE`, the prompt),
    /// named in errors so a wrong one can be traced; never the passphrase itself.
    public let source: String?

    /// Takes the bytes and zeroes the caller's array.
    public convenience init(consuming bytes: inout [UInt8]) {
        self.init(consuming: &bytes, source: nil)
    }

    /// Takes the bytes and zeroes the caller's array; `source` says where they came from.
    public init(consuming bytes: inout [UInt8], source: String?) {
        self.source = source
        count = bytes.count
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 1)
        storage.copyBytes(from: bytes)
        Self.zero(&bytes)
    }

    /// Copies a passphrase given as text (a flag or environment variable) into owned memory.
    public convenience init(_ text: String) {
        self.init(text, source: nil)
    }

    /// Copies a passphrase given as text into owned memory, with where it came from.
    public convenience init(_ text: String, source: String?) {
        var bytes = Array(text.utf8)
        self.init(consuming: &bytes, source: source)
    }

    /// The passphrase's length in bytes; the bytes themselves are reached only through `withBytes`.
    public let count: Int

    /// Calls `body` with the bytes; they must not be copied out.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    deinit {
        Self.zero(storage)
        storage.deallocate()
    }

    /// Shows only the length, so a passphrase printed by mistake reveals nothing.
    public var description: String { "Passphrase(\(count) bytes, hidden)" }

    /// Overwrites `bytes` with zeros in a way the optimiser keeps.
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { zero($0) }
        bytes.removeAll()
    }

    static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // explicit_bzero is not elided by the compiler, unlike a plain loop or memset.
        explicit_bzero(base, buffer.count)
    }
}
