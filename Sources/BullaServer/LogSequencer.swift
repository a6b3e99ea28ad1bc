import Bulla
import BullaCrypto
import Dispatch
import Synchronization

/// Turns concurrent `POST /add` requests into batched appends: whatever arrives while a batch is
/// being made durable goes into the next one, so one fsync round covers many entries. Each
/// batch ends with a newly signed checkpoint, and each waiting request is answered with its
/// index and a proof against that checkpoint, only after the batch is durable.
final class LogSequencer: Sendable {
    private struct Waiting {
        let entry: [UInt8]
        /// The index, and the receipt when the caller asked for a proof.
        let answer: CheckedContinuation<(UInt64, LogReceipt?), any Error>
        let proof: Bool
    }

    private struct State {
        var waiting: [Waiting] = []
        var flushing = false
    }

    // The log is touched only on `queue`, one batch at a time.
    private nonisolated(unsafe) let log: TransparencyLog
    private let key: SigningKey
    private let maxBatch: Int
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "bulla.log.sequencer")
    /// The size of the last signed checkpoint: only what it covers is served.
    private let published: Atomic<UInt64>

    init(log: TransparencyLog, key: SigningKey, maxBatch: Int) throws {
        self.log = log
        self.key = key
        self.maxBatch = maxBatch
        // Start from a checkpoint that covers everything committed, consistent with the last.
        try log.signCheckpoint(with: key)
        self.published = Atomic(log.size)
    }

    var publishedSize: UInt64 { published.load(ordering: .acquiring) }

    /// Appends `entry`; answers once it is durable and covered by a signed checkpoint, with
    /// its index and inclusion proof.
    func submit(_ entry: [UInt8]) async throws -> LogReceipt {
        try await enqueue(entry, proof: true).1!
    }

    /// Appends `entry`; answers with its index once it is durable and covered by a signed
    /// checkpoint, without making a proof (which would cost a tree walk per entry).
    func append(_ entry: [UInt8]) async throws -> UInt64 {
        try await enqueue(entry, proof: false).0
    }

    private func enqueue(_ entry: [UInt8], proof: Bool) async throws -> (UInt64, LogReceipt?) {
        try await withCheckedThrowingContinuation { answer in
            let start = state.withLock { state -> Bool in
                state.waiting.append(Waiting(entry: entry, answer: answer, proof: proof))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let taken = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let signed = try log.appendSigned(batch.map(\.entry), with: key)
                published.store(signed.indices.upperBound, ordering: .releasing)
                for (index, waiting) in zip(signed.indices, batch) {
                    do {
                        waiting.answer.resume(returning: (index, waiting.proof ? try log.receipt(for: index, in: signed) : nil))
                    } catch {
                        waiting.answer.resume(throwing: error)
                    }
                }
            } catch {
                for waiting in batch { waiting.answer.resume(throwing: error) }
            }
        }
    }
}
