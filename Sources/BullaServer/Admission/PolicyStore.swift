import Bulla
import BullaCrypto
import Synchronization

/// The policy in force, and its file watched for changes. A changed file is loaded whole and
/// checked before it replaces the policy in force; one that does not load is refused and the
/// policy in force stays.
public final class PolicyStore: Sendable {
    /// A loaded policy and the digest of the file bytes it came from, which names it in cache
    /// keys and in the decision log.
    public struct Loaded: Sendable {
        public var policy: Policy
        public var digest: Digest
    }

    /// What a reload did.
    public enum Reload: Sendable, Equatable {
        case unchanged
        case replaced(Digest)
        case refused(String)
    }

    public let path: String
    private let current: Mutex<Loaded>
    /// The digest of the last file refused, so a broken file is reported once, not every poll.
    private let lastRefused = Mutex<Digest?>(nil)

    /// Loads the policy; a server must not start on one that does not load.
    public init(path: String) throws {
        self.path = path
        let bytes = try KeyFile.read(path, limit: Policy.maxFileBytes)
        current = Mutex(try Self.load(path, bytes: bytes, digest: Digest.compute(over: bytes)))
    }

    public var loaded: Loaded { current.withLock { $0 } }

    /// Reads the file again and replaces the policy when its bytes changed and it loads.
    public func reload() -> Reload {
        let bytes: [UInt8]
        do {
            bytes = try KeyFile.read(path, limit: Policy.maxFileBytes)
        } catch {
            return refuse(nil, "\(path) cannot be read: \(error)")
        }
        let digest = Digest.compute(over: bytes)
        guard digest != loaded.digest else { return .unchanged }
        do {
            let next = try Self.load(path, bytes: bytes, digest: digest)
            current.withLock { $0 = next }
            lastRefused.withLock { $0 = nil }
            return .replaced(digest)
        } catch let error as BullaError {
            return refuse(digest, error.message)
        } catch {
            return refuse(digest, "\(error)")
        }
    }

    private func refuse(_ digest: Digest?, _ reason: String) -> Reload {
        let repeated = lastRefused.withLock { last in
            defer { last = digest }
            return digest != nil && last == digest
        }
        return repeated ? .unchanged : .refused(reason)
    }

    private static func load(_ path: String, bytes: [UInt8], digest: Digest) throws -> Loaded {
        Loaded(policy: try Policy(bytes: bytes, file: path), digest: digest)
    }
}
