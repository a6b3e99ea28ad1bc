import Bulla
import BullaCrypto
import Foundation
import NIOCore

/// How Bulla talks to registries: trust, timeouts, retries, credentials.
public struct RegistryOptions: Sendable {
    /// PEM certificates trusted in addition to the system's CAs (a private registry's CA),
    /// each file with where it was named (`--ca-file`, `SSL_CERT_FILE`) for a refusal to say.
    public var caFiles: [(path: String, source: String)] = []

    /// The one `--ca-file` of earlier releases; `caFiles` holds it and `SSL_CERT_FILE`'s now.
    @available(*, deprecated, renamed: "caFiles")
    public var caFile: String? {
        get { caFiles.first?.path }
        set { caFiles = newValue.map { [($0, "--ca-file")] } ?? [] }
    }
    /// Plain HTTP, allowed only to loopback hosts: a registry on 127.0.0.1 for tests and demos.
    public var insecure = false
    /// The longest wait for a connection, or for the next bytes of a response, in seconds.
    /// A response that stalls fails after this long, however large the blob.
    public var timeoutSeconds: Int64 = 30
    /// How often a request answered 429 or 5xx is tried again (with backoff, or after the
    /// server's `Retry-After`).
    public var retries = 3
    /// Whether a refused connection, once the registry has answered, is waited out under
    /// `retries` (a registry restarting during a copy). The webhook turns it off: a review is
    /// answered within its deadline, with the reason, and the API server asks again.
    public var retriesRefusedConnections = true
    /// The longest `Retry-After` honoured; a server asking for more fails the request at once.
    public var maxRetryAfterSeconds = 60.0
    /// The first backoff; each retry doubles it.
    public var backoffSeconds = 0.5
    /// Blobs up to this size are uploaded in one request; larger ones in chunks of this size
    /// (which bounds the memory an upload takes).
    public var chunkSize = 16 << 20
    /// When all of a command's registry traffic must be over, whatever each read does: a
    /// registry that sends a byte just often enough to beat `timeoutSeconds`, or lists
    /// thousands of things to fetch, is stopped here. Nil: no overall bound (the webhook bounds
    /// each review by its own deadline).
    public var deadline: RegistryDeadline?
    /// Where logins for each registry are looked up (auth files and credential helpers).
    public var credentials = RegistryCredentials()
    /// Bounds on what a registry may send (manifest size, referrers, index depth): spec/limits.md.
    public var limits = Limits.default

    /// The defaults: system CAs, HTTPS only, 30 s timeouts, 3 retries, the default credential files.
    public init() {}

    /// Whether `host` (without port) is this machine.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        // 127.0.0.0/8 written as a dotted quad, not a name that merely starts with "127.".
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// An overall time limit on registry traffic: a CLI command's, set when it starts, or one
/// admission review's, set around the work done for it.
public struct RegistryDeadline: Sendable {
    /// What it is called in messages ("the command's registry deadline of 300 s").
    let name: String
    let instant: NIODeadline

    /// `seconds` from now, for a whole command.
    public init(seconds: Int64) {
        name = "the command's registry deadline of \(seconds) s (--registry-deadline)"
        instant = .now() + .seconds(seconds)
    }

    /// `remaining` from now, for one piece of work (an admission review).
    public init(remaining: Duration, name: String) {
        let (seconds, attoseconds) = remaining.components
        self.name = name
        instant = .now() + .nanoseconds(max(0, seconds) * 1_000_000_000 + max(0, attoseconds / 1_000_000_000))
    }

    var hasPassed: Bool { instant <= .now() }

    /// Whether a pause of `seconds` would end past the deadline.
    func isPassed(after seconds: Double) -> Bool { .now() + .nanoseconds(Int64(max(0, min(seconds, 1e9)) * 1e9)) >= instant }

    func error(_ what: String, registry: String) -> BullaError {
        BullaError(.unreachable, "\(what) from \(registry) did not finish within \(name)")
    }

    /// Runs `body` with this deadline over every registry request it makes on this thread, in
    /// place of the options' own (the webhook's clients are shared across reviews).
    public func applies<T>(to body: () throws -> T) rethrows -> T {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[Self.threadKey]
        dictionary[Self.threadKey] = Holder(self)
        defer { dictionary[Self.threadKey] = previous }
        return try body()
    }

    /// The deadline ``applies(to:)`` set on this thread, if any.
    static var onThisThread: RegistryDeadline? { (Thread.current.threadDictionary[threadKey] as? Holder)?.deadline }

    private static let threadKey = "dev.bulla.registry-deadline"

    private final class Holder: NSObject {
        let deadline: RegistryDeadline
        init(_ deadline: RegistryDeadline) { self.deadline = deadline }
    }
}

extension BullaError.Code {
    /// A registry or token server refused the credentials, or asked for some there are not.
    public static let accessDenied = BullaError.Code("accessDenied")
    /// A registry could not be reached, or stopped answering, within the timeout.
    public static let unreachable = BullaError.Code("unreachable")
}
