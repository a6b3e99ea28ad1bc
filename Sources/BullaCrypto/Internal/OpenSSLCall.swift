import COpenSSL

/// The one place that turns an OpenSSL status into a ``BullaError``.
///
/// OpenSSL reports failure through a return value and leaves the reason on a thread-local queue;
/// `check` reads the whole queue at the failure (so a later call cannot see stale entries) and
/// puts the first reason into the error.
enum OpenSSLCall {
    /// Throws unless `status` is 1, OpenSSL's success for most calls.
    @discardableResult
    static func check(
        _ status: Int32, _ what: @autoclosure () -> String,
        code: BullaError.Code = .internalFailure,
        file: String = #fileID, line: UInt = #line
    ) throws -> Int32 {
        guard status == 1 else { throw failure(what(), code: code, file: file, line: line) }
        return status
    }

    /// Throws unless `pointer` is non-nil.
    static func check<T>(
        _ pointer: T?, _ what: @autoclosure () -> String,
        code: BullaError.Code = .internalFailure,
        file: String = #fileID, line: UInt = #line
    ) throws -> T {
        guard let pointer else { throw failure(what(), code: code, file: file, line: line) }
        return pointer
    }

    /// Drains the error queue into an error for `what`.
    static func failure(
        _ what: String, code: BullaError.Code, file: String = #fileID, line: UInt = #line
    ) -> BullaError {
        BullaError(code, what, underlying: drainErrorQueue(), file: file, line: line)
    }

    /// Empties OpenSSL's per-thread error queue and returns its first entry as text.
    static func drainErrorQueue() -> String? {
        var first: String?
        while true {
            let packed = ERR_get_error()
            if packed == 0 { break }
            if first == nil {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(packed, &buffer, buffer.count)
                first = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return first
    }
}
