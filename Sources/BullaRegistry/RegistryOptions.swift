import Bulla
import BullaCrypto

/// How Bulla talks to registries: trust, timeouts, retries, credentials.
public struct RegistryOptions: Sendable {
    /// PEM certificates trusted in addition to the system's CAs (a private registry's CA).
    public var caFile: String?
    /// Plain HTTP, allowed only to loopback hosts: a registry on 127.0.0.1 for tests and demos.
    public var insecure = false
    /// The longest wait for a connection, or for the next bytes of a response, in seconds.
    /// A response that stalls fails after this long, however large the blob.
    public var timeoutSeconds: Int64 = 30
    /// How often a request answered 429 or 5xx is tried again (with backoff, or after the
    /// server's `Retry-After`).
    public var retries = 3
    /// The longest `Retry-After` honoured; a server asking for more fails the request at once.
    public var maxRetryAfterSeconds = 60.0
    /// The first backoff; each retry doubles it.
    public var backoffSeconds = 0.5
    /// Blobs up to this size are uploaded in one request; larger ones in chunks of this size
    /// (which bounds the memory an upload takes).
    public var chunkSize = 16 << 20
    public var credentials = RegistryCredentials()
    public var limits = Limits.default

    public init() {}

    /// Whether `host` (without port) is this machine.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        // 127.0.0.0/8 written as a dotted quad, not a name that merely starts with "127.".
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

extension BullaError.Code {
    /// A registry or token server refused the credentials, or asked for some there are not.
    public static let accessDenied = BullaError.Code("accessDenied")
    /// A registry could not be reached, or stopped answering, within the timeout.
    public static let unreachable = BullaError.Code("unreachable")
}
