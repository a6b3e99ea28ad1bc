import Bulla
import BullaCrypto
import Foundation

/// When and how long a registry request is asked again: after a dropped connection or a
/// transient answer, at most `retries` times, waiting the server's `Retry-After` or a doubling
/// backoff (capped at the longest `Retry-After` honoured), never past the deadline. Every
/// request, token fetch and chunked upload in BullaRegistry retries through one of these.
struct RetryPolicy {
    let options: RegistryOptions
    let deadline: RegistryDeadline?
    /// The host named in errors.
    let registry: String
    /// Retries made so far.
    private(set) var attempts = 0

    init(options: RegistryOptions, deadline: RegistryDeadline?, registry: String) {
        self.options = options
        self.deadline = deadline
        self.registry = registry
    }

    /// Answers worth asking again after a pause: too many requests, and the server errors a
    /// busy or restarting server gives (not 501 or 505, which will not change).
    static func isTransient(_ code: UInt) -> Bool { [429, 500, 502, 503, 504].contains(code) }

    /// Throws when the deadline has already passed, before `what` is asked for.
    func checkDeadline(_ what: String) throws {
        if let deadline, deadline.hasPassed { throw deadline.error(what, registry: registry) }
    }

    /// The error for `what` cut off by the deadline (from `host`, when it is not the registry).
    func deadlinePassed(_ what: String, from host: String? = nil) -> BullaError {
        deadline?.error(what, registry: host ?? registry) ?? BullaError(.unreachable, "\(what) from \(host ?? registry) passed its deadline")
    }

    /// Whether another attempt may be made.
    var canRetry: Bool { attempts < options.retries }

    /// Counts a retry and waits before it: `retryAfter` (seconds or an HTTP date) when the
    /// server gave one, else the backoff. Throws when the wait would pass the deadline or the
    /// server asks for longer than Bulla waits.
    mutating func wait(retryAfter: String?) throws {
        attempts += 1
        var seconds = min(options.backoffSeconds * pow(2, Double(attempts - 1)), options.maxRetryAfterSeconds)
        if let retryAfter {
            if let value = Double(retryAfter.trimmingSpaces) {
                seconds = value
            } else if let date = Self.httpDate.date(from: retryAfter) {
                seconds = date.timeIntervalSinceNow
            }
            // The registry's number: NaN, infinities and huge values are refused before any
            // arithmetic; a time already past means now.
            guard seconds.isFinite, seconds <= options.maxRetryAfterSeconds else {
                throw BullaError(.ioFailure, "\(registry) asked to retry after \(RegistryTransport.excerpt(Array(retryAfter.utf8), limit: 40)), more than the \(Int(options.maxRetryAfterSeconds)) s Bulla waits")
            }
            seconds = max(seconds, 0)
        }
        if let deadline, deadline.isPassed(after: seconds) {
            throw deadline.error("a retry", registry: registry)
        }
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }

    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()
}
