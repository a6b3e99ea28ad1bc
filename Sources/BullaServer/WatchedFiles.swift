import Bulla
import BullaCrypto
import Synchronization

/// What a server reads from files at start and again whenever they change (the policy, the
/// serving certificate and key). A change is loaded whole and checked before it replaces the
/// value in force; one that does not load is refused, reported once, and the value in force
/// stays. A server must not start on files that do not load.
public final class WatchedFiles<Value: Sendable>: Sendable {
    /// A loaded value and the digest of the bytes it came from: of the one file, or of the
    /// files' digests in order when there are several.
    public struct Loaded: Sendable {
        public var value: Value
        public var digest: Digest
    }

    /// What a reload did.
    public enum Reload: Sendable, Equatable {
        case unchanged
        case replaced(Digest)
        case refused(String)
    }

    public let paths: [String]
    private let limit: Int
    private let load: @Sendable ([[UInt8]]) throws -> Value
    private let current: Mutex<Loaded>
    /// The digest of the last bytes refused, so a broken file is reported once, not every poll.
    private let lastRefused = Mutex<Digest?>(nil)

    /// Reads `paths` (each at most `limit` bytes) and loads them with `load`.
    public init(paths: [String], limit: Int, load: @escaping @Sendable ([[UInt8]]) throws -> Value) throws {
        self.paths = paths
        self.limit = limit
        self.load = load
        let files = try paths.map { try KeyFile.read($0, limit: limit) }
        current = Mutex(Loaded(value: try load(files), digest: Self.digest(of: files)))
    }

    public var loaded: Loaded { current.withLock { $0 } }

    /// Reads the files again and replaces the value when their bytes changed and they load.
    public func reload() -> Reload {
        let files: [[UInt8]]
        do {
            files = try paths.map { try KeyFile.read($0, limit: limit) }
        } catch {
            // Keyed by the reason, so a file that stays unreadable is reported once.
            let reason = (error as? BullaError)?.message ?? "\(error)"
            return refuse(Digest.compute(over: Array(reason.utf8)), reason)
        }
        let digest = Self.digest(of: files)
        guard digest != loaded.digest else {
            // Back to what is in force: a later return of the refused bytes is news again.
            lastRefused.withLock { $0 = nil }
            return .unchanged
        }
        do {
            let next = Loaded(value: try load(files), digest: digest)
            current.withLock { $0 = next }
            lastRefused.withLock { $0 = nil }
            return .replaced(digest)
        } catch let error as BullaError {
            return refuse(digest, error.message)
        } catch {
            return refuse(digest, "\(error)")
        }
    }

    private func refuse(_ digest: Digest, _ reason: String) -> Reload {
        let repeated = lastRefused.withLock { last in
            defer { last = digest }
            return last == digest
        }
        return repeated ? .unchanged : .refused(reason)
    }

    private static func digest(of files: [[UInt8]]) -> Digest {
        files.count == 1 ? Digest.compute(over: files[0]) : Digest.compute(over: Array(files.map { Digest.compute(over: $0).bytes }.joined()))
    }
}

/// The policy in force, and its file watched for changes; its digest names it in cache keys
/// and in the decision log.
public typealias PolicyStore = WatchedFiles<Policy>

extension WatchedFiles where Value == Policy {
    public convenience init(path: String) throws {
        try self.init(paths: [path], limit: Policy.maxFileBytes) { files in try Policy(bytes: files[0], file: path) }
    }

    public var path: String { paths[0] }
}

extension WatchedFiles.Loaded where Value == Policy {
    public var policy: Policy { value }
}
