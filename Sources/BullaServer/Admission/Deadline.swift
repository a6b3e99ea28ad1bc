import Dispatch
import Synchronization

/// Runs work against a deadline. The answer is given at the deadline even when the work goes
/// on (a registry read cannot be interrupted); work that finishes later still fills the caches.
enum Deadline {
    enum Outcome<T: Sendable>: Sendable {
        case finished(T)
        case failed(any Error)
        case timedOut
    }

    static func run<T: Sendable>(
        until deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        await withCheckedContinuation { (answer: CheckedContinuation<Outcome<T>, Never>) in
            let once = Once(answer)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled else { return }
                _ = once.resume(.timedOut)
            }
            Task {
                let outcome: Outcome<T>
                do { outcome = .finished(try await work()) } catch { outcome = .failed(error) }
                if once.resume(outcome) { timer.cancel() }
            }
        }
    }

    /// A continuation resumed by whichever side finishes first.
    private final class Once<T: Sendable>: Sendable {
        private let answer: Mutex<CheckedContinuation<Outcome<T>, Never>?>

        init(_ answer: CheckedContinuation<Outcome<T>, Never>) {
            self.answer = Mutex(answer)
        }

        func resume(_ outcome: Outcome<T>) -> Bool {
            guard let answer = answer.withLock({ $0.take() }) else { return false }
            answer.resume(returning: outcome)
            return true
        }
    }
}

/// Runs blocking work (registry reads, file reads, signature checks) on Dispatch's threads,
/// off the server's event loops and Swift's cooperative pool.
enum Blocking {
    private static let queue = DispatchQueue(label: "bulla.admission.blocking", attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { answer in
            queue.async { answer.resume(with: Result { try work() }) }
        }
    }
}
