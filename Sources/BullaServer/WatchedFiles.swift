import Bulla
import BullaCrypto
import Synchronization

/// What a server reads from files at start and again whenever they change (the policy, the
/// serving certificate and key). A change is loaded whole and checked before it replaces the
/// value in force; one that does not load is refused, reported once, and the value in force
/// stays. A server must not start on files that do not load.
public final class WatchedFiles<Value: Sendable>: Sendable {
    /// A loaded value and the digest of the bytes it came from: of the one file, or of the
    /// files' digests in order when there are several (the files it names included).
    public struct Loaded: Sendable {
        /// What the files loaded into (a policy, a certificate pair), as in force now.
        public var value: Value
        /// Names this value in cache keys and the decision log, so a change of any file gives a new one.
        public var digest: Digest
        /// The files the value named and was read with (a policy's key files), watched too.
        public var dependencies: [String] = []
    }

    /// What a reload did.
    public enum Reload: Sendable, Equatable {
        case unchanged
        case replaced(Digest)
        case refused(String)
    }

    /// The files watched, in the order `load` receives their bytes.
    public let paths: [String]
    private let limit: Int
    private let load: @Sendable ([[UInt8]]) throws -> Value
    private let dependencies: @Sendable (Value) -> [String]
    private let current: Mutex<Loaded>
    /// The digest of the last bytes refused, so a broken file is reported once, not every poll.
    private let lastRefused = Mutex<Digest?>(nil)

    /// Reads `paths` (each at most `limit` bytes) and loads them with `load`; the files the
    /// loaded value names (`dependencies`) are watched with them, and a change to any of them
    /// loads the whole again.
    public init(
        paths: [String], limit: Int, dependencies: @escaping @Sendable (Value) -> [String] = { _ in [] },
        load: @escaping @Sendable ([[UInt8]]) throws -> Value
    ) throws {
        self.paths = paths
        self.limit = limit
        self.load = load
        self.dependencies = dependencies
        let files = try paths.map { try KeyFile.read($0, limit: limit) }
        let value = try load(files)
        let named = dependencies(value)
        current = Mutex(Loaded(value: value, digest: Self.digest(of: files + Self.snapshot(named, limit: limit)), dependencies: named))
    }

    /// The value in force and its digest, as one consistent snapshot for one request.
    public var loaded: Loaded { current.withLock { $0 } }

    /// Reads the files again and replaces the value when their bytes changed and they load.
    public func reload() -> Reload {
        let files: [[UInt8]]
        do {
            files = try paths.map { try KeyFile.read($0, limit: limit) }
        } catch {
            // Keyed by the reason, so a file that stays unreadable is reported once.
            let reason = BullaError.describe(error)
            return refuse(Digest.compute(over: Array(reason.utf8)), reason)
        }
        let inForce = loaded
        let digest = Self.digest(of: files + Self.snapshot(inForce.dependencies, limit: limit))
        guard digest != inForce.digest else {
            // Back to what is in force: a later return of the refused bytes is news again.
            lastRefused.withLock { $0 = nil }
            return .unchanged
        }
        do {
            let value = try load(files)
            let named = dependencies(value)
            // The digest just taken already covers the named files unless the change names others.
            let loadedDigest = named == inForce.dependencies ? digest : Self.digest(of: files + Self.snapshot(named, limit: limit))
            let next = Loaded(value: value, digest: loadedDigest, dependencies: named)
            current.withLock { $0 = next }
            lastRefused.withLock { $0 = nil }
            return .replaced(next.digest)
        } catch let error as BullaError {
            return refuse(digest, error.message)
        } catch {
            return refuse(digest, "\(error)")
        }
    }

    /// The bytes of each named file, or of why it cannot be read: a file that disappears or
    /// comes back changes the digest as surely as new bytes do.
    private static func snapshot(_ paths: [String], limit: Int) -> [[UInt8]] {
        paths.map { path in
            do {
                return try KeyFile.read(path, limit: limit)
            } catch {
                return Array("unreadable \(path): \(error)".utf8)
            }
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

/// The policy in force, with its file and every key file it names watched for changes; the
/// digest of them all names it in cache keys and in the decision log, so replacing a key file
/// drops every decision made with the old key.
public typealias PolicyStore = WatchedFiles<Policy>

extension WatchedFiles where Value == Policy {
    /// Watches the policy at `path` and the key files it names (spec/admission.md, "Policy reload").
    public convenience init(path: String) throws {
        try self.init(paths: [path], limit: Policy.maxFileBytes, dependencies: { $0.files }) { files in try Policy(bytes: files[0], file: path) }
    }

    /// The policy file's path, for messages and reload reports.
    public var path: String { paths[0] }
}

extension WatchedFiles.Loaded where Value == Policy {
    /// The policy in force, by its name rather than the generic `value`.
    public var policy: Policy { value }
}
