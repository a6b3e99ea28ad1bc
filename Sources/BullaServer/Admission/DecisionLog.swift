import Bulla
import BullaCrypto
import Dispatch
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Every admission decision, recorded durably before it is answered, so an auditor can later
/// prove what was admitted, when, and why (spec/admission.md).
///
/// A decision is answered once it is in the log's journal: concurrent decisions share one
/// write and one `fdatasync`. Every `foldInterval` (250 ms) the journaled decisions go into the
/// Merkle tree as one batch under a newly signed checkpoint; `close()` folds the rest, and a
/// crash is repaired when the log is next opened (its journal folded first).
public final class DecisionLog: Sendable {
    /// The media type of a decision entry's JSON, so an auditor can tell log entries apart by kind.
    public static let mediaType = "application/vnd.bulla.admission-decision.v1+json"

    private struct Waiting {
        let entry: [UInt8]
        let answer: CheckedContinuation<UInt64, any Error>
        /// The event loop the request is served on, if any: the answer is handed back there,
        /// so the request goes on where its connection lives instead of hopping through another
        /// loop.
        let loop: (any EventLoop)?

        func resume(_ result: Result<UInt64, any Error>) {
            guard let loop else { return answer.resume(with: result) }
            loop.execute { answer.resume(with: result) }
        }
    }

    private struct Intake {
        var waiting: [Waiting] = []
        var writing = false
        var closed = false
    }

    /// Journaled entries the tree does not hold yet (the first is tree entry `log.size`), and
    /// the full segments waiting to be removed once the tree covers them.
    private struct Folding {
        var entries: [[UInt8]] = []
        var closedSegments: [(path: String, end: UInt64)] = []
    }

    private let intake = Mutex(Intake())
    private let folding = Mutex(Folding())
    // The journal is touched only on `journalQueue`, the log only on `foldQueue`.
    private nonisolated(unsafe) var journal: LogJournal
    private nonisolated(unsafe) let log: TransparencyLog
    /// Entries reached the tree but no checkpoint was signed over them (the signing failed).
    private nonisolated(unsafe) var checkpointBehind = false
    private let key: SigningKey
    private let journalQueue = DispatchQueue(label: "bulla.decisions.journal")
    private let foldQueue = DispatchQueue(label: "bulla.decisions.fold")
    private let allocationQueue = DispatchQueue(label: "bulla.decisions.allocate")
    private nonisolated(unsafe) let timer: any DispatchSourceTimer  // cancel() is thread-safe
    private let metrics: AdmissionMetrics
    private let onFoldFailure: @Sendable (any Error) -> Void
    /// At most this many bytes go into one journal write.
    private static let maxGroupBytes = 8 << 20

    /// What opening the log repaired: journaled entries a stopped writer had not folded, and
    /// the bytes of a write it was cut short in (never acknowledged).
    public let recovered: TransparencyLog.JournalFold

    /// Opens the log directory (made by `bulla log init`) for writing, folding in whatever its
    /// journal holds; `key` signs its checkpoints. A fold that fails is counted, reported to
    /// `onFoldFailure`, and tried again at the next interval (the entries stay journaled).
    public init(
        directory: String, key: SigningKey, foldInterval: Duration = .milliseconds(250), metrics: AdmissionMetrics,
        onFoldFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) throws {
        let log = try TransparencyLog(opening: directory, forWriting: true, foldsJournal: true)
        recovered = try log.foldJournal(with: key)
        // Start from a checkpoint that covers everything, consistent with the last.
        try log.signCheckpoint(with: key)
        self.log = log
        self.key = key
        self.metrics = metrics
        self.onFoldFailure = onFoldFailure
        journal = try LogJournal(log: directory, base: log.size)
        timer = DispatchSource.makeTimerSource(queue: foldQueue)
        let interval = DispatchTimeInterval.nanoseconds(Int(foldInterval.nanoseconds))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.fold() }
        timer.resume()
    }

    /// Records `entry` and returns its log index once it is durable.
    func record(_ entry: JSONValue) async throws -> UInt64 {
        let bytes = entry.serialized
        let started = ContinuousClock.now
        defer { metrics.logRecordLatency.record(ContinuousClock.now - started) }
        guard bytes.count <= TileLayout.maxEntryBytes else {
            throw BullaError(.limitExceeded, "the decision's log entry is \(bytes.count) bytes; a log entry is at most \(TileLayout.maxEntryBytes)")
        }
        return try await withCheckedThrowingContinuation { answer in
            let taken = intake.withLock { intake -> Bool in
                guard !intake.closed else { return false }
                intake.waiting.append(Waiting(entry: bytes, answer: answer, loop: MultiThreadedEventLoopGroup.currentEventLoop))
                if !intake.writing {
                    intake.writing = true
                    // Under the lock, so close() finds the writer already queued.
                    journalQueue.async { self.writeWaiting() }
                }
                return true
            }
            if !taken { answer.resume(throwing: BullaError(.invalidArgument, "the decision log is closed")) }
        }
    }

    /// On `journalQueue`: writes what waits, a group at a time, and answers each group once it
    /// is flushed.
    private func writeWaiting() {
        while true {
            let group = intake.withLock { intake -> [Waiting] in
                var bytes = 0
                let taken = intake.waiting.prefix { waiting in
                    bytes += waiting.entry.count
                    return bytes <= Self.maxGroupBytes
                }
                let group = taken.isEmpty ? Array(intake.waiting.prefix(1)) : Array(taken)
                intake.waiting.removeFirst(group.count)
                if group.isEmpty { intake.writing = false }
                return group
            }
            guard !group.isEmpty else { return }
            let entries = group.map(\.entry)
            do {
                if !journal.hasRoom(for: entries) {
                    let full = journal
                    journal = try LogJournal(log: log.path, base: full.next)
                    folding.withLock { $0.closedSegments.append((full.path, full.next)) }
                }
                let indices = try journal.append(entries)
                folding.withLock { $0.entries += entries }
                for (index, waiting) in zip(indices, group) { waiting.resume(.success(index)) }
                if journal.needsSpace {
                    let journal = journal
                    // A failure here shows again, and is reported, when an append needs the space.
                    allocationQueue.async { try? journal.allocateAhead() }
                }
            } catch {
                for waiting in group { waiting.resume(.failure(error)) }
            }
        }
    }

    /// On `foldQueue`: appends the journaled entries to the tree and signs a checkpoint over
    /// them; removes the full segments it now covers.
    private func fold() {
        let (entries, anyClosed) = folding.withLock { ($0.entries, !$0.closedSegments.isEmpty) }
        guard !entries.isEmpty || anyClosed || checkpointBehind else { return }
        let before = log.size
        let started = ContinuousClock.now
        do {
            if !entries.isEmpty {
                try log.append(entries)
                checkpointBehind = true
            }
            if checkpointBehind {
                try log.signCheckpoint(with: key)
                checkpointBehind = false
            }
            metrics.foldLatency.record(ContinuousClock.now - started)
        } catch {
            metrics.foldFailures.increment()
            onFoldFailure(error)
        }
        // What reached the tree leaves the queue, even when signing the checkpoint failed (the
        // next fold signs it).
        let added = Int(log.size - before)
        metrics.foldedEntries.increment(by: Int64(added))
        let size = log.size
        let covered = folding.withLock { folding in
            folding.entries.removeFirst(added)
            let covered = folding.closedSegments.filter { $0.end <= size }
            folding.closedSegments.removeAll { $0.end <= size }
            return covered
        }
        for segment in covered { unlink(segment.path) }
    }

    /// Stops taking decisions, waits for those being written, and folds everything into the
    /// tree; the journal is left empty. Call once the server has stopped answering.
    public func close() {
        intake.withLock { $0.closed = true }
        journalQueue.sync {}
        timer.cancel()
        foldQueue.sync {
            fold()
            if log.size == journal.next, folding.withLock({ $0.entries.isEmpty }) { unlink(journal.path) }
        }
    }

    /// The entry for one answered review.
    static func entry(
        _ request: AdmissionRequest, endpoint: String, policy: Digest, allowed: Bool, verdicts: [ImageVerdict], time: Int = Timestamp.now
    ) -> JSONValue {
        .object([
            ("mediaType", .string(mediaType)),
            ("time", .string(Timestamp.rfc3339(time))),
            ("uid", .string(request.uid)),
            ("endpoint", .string(endpoint)),
            ("operation", .string(request.operation)),
            ("kind", .string(request.kind)),
            ("namespace", .string(request.namespace)),
            ("name", .string(request.name)),
            ("dryRun", .bool(request.dryRun)),
            ("policy", .string(policy.description)),
            ("allowed", .bool(allowed)),
            ("images", .array(verdicts.map(\.logged))),
        ])
    }
}
