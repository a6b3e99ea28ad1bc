import Dispatch
import Synchronization

/// A bounded map of answers that expire, where concurrent askers of a missing key share one
/// computation. Failures are not kept: the next asker tries again.
final class SharedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// How an answer was had: from the cache, by joining a computation already under way, or
    /// by computing it.
    enum Source: String, Sendable { case hit, shared, miss }

    private enum Slot {
        case ready(Value, expires: UInt64)
        case pending(Task<Value, any Error>)
    }

    private enum Found {
        case cached(Value)
        case running(Task<Value, any Error>, Source)
    }

    private let slots = Mutex<[Key: Slot]>([:])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The answer for `key`: cached while fresh, else from `compute`, kept for `lifetime(value)`
    /// nanoseconds (0 keeps nothing).
    func value(
        for key: Key, lifetime: @escaping @Sendable (Value) -> UInt64, compute: @escaping @Sendable () async throws -> Value
    ) async throws -> (Value, Source) {
        let now = Self.now
        let found: Found = slots.withLock { slots in
            switch slots[key] {
            case .ready(let value, let expires)? where expires > now:
                return .cached(value)
            case .pending(let task)?:
                return .running(task, .shared)
            default:
                if slots.count >= capacity { Self.evict(&slots, now: now, capacity: capacity) }
                let task = Task { [weak self] in
                    do {
                        let value = try await compute()
                        let keep = lifetime(value)
                        self?.slots.withLock { $0[key] = keep > 0 ? .ready(value, expires: Self.now + keep) : nil }
                        return value
                    } catch {
                        self?.slots.withLock { _ = $0.removeValue(forKey: key) }
                        throw error
                    }
                }
                slots[key] = .pending(task)
                return .running(task, .miss)
            }
        }
        switch found {
        case .cached(let value): return (value, .hit)
        case .running(let task, let source): return (try await task.value, source)
        }
    }

    /// The fresh answer for `key`, if there is one; never waits or computes.
    func cached(_ key: Key) -> Value? {
        let now = Self.now
        return slots.withLock { slots in
            if case .ready(let value, let expires)? = slots[key], expires > now { return value }
            return nil
        }
    }

    /// Drops expired answers, then (if still full) the half that expires soonest.
    private static func evict(_ slots: inout [Key: Slot], now: UInt64, capacity: Int) {
        slots = slots.filter { if case .ready(_, let expires) = $0.value { return expires > now } else { return true } }
        guard slots.count >= capacity else { return }
        let ready = slots.compactMap { key, slot -> (Key, UInt64)? in
            if case .ready(_, let expires) = slot { return (key, expires) } else { return nil }
        }.sorted { $0.1 < $1.1 }
        for (key, _) in ready.prefix(max(1, ready.count / 2)) { slots.removeValue(forKey: key) }
    }

    var count: Int { slots.withLock { $0.count } }

    func removeAll() { slots.withLock { $0.removeAll() } }
}
