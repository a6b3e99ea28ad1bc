import Bulla
import Prometheus

/// What `/metrics` reports, in the Prometheus text format.
public final class AdmissionMetrics: Sendable {
    /// The Prometheus registry `/metrics` renders: every `bulla_` counter and histogram is made in it.
    public let registry: PrometheusCollectorRegistry

    let allowed: Counter
    let denied: Counter
    let warned: Counter
    let malformed: Counter
    let validateLatency: DurationHistogram
    let mutateLatency: DurationHistogram
    let imageLatency: DurationHistogram
    let cacheHits: Counter
    let cacheShared: Counter
    let cacheMisses: Counter
    let verificationErrors: Counter
    let deadlines: Counter
    let logFailures: Counter
    let logRecordLatency: DurationHistogram
    let foldLatency: DurationHistogram
    let foldedEntries: Counter
    let foldFailures: Counter
    let policyReloads: ReloadCounters
    let certificateReloads: ReloadCounters

    /// Makes every metric spec/admission.md lists ("Metrics") in a fresh registry, one set per server.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        // Admission answers are meant to take milliseconds; the top buckets catch the slow tail.
        let buckets: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10),
        ]
        // Every counter's name ends in _total.
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "bulla", metricName: String(name.dropLast("_total".count)), unitName: "total", helpText: help),
                labels: labels)
        }
        func histogram(_ name: String, _ help: String, _ labels: [(String, String)]) -> DurationHistogram {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "bulla", metricName: name, unitName: "seconds", helpText: help),
                labels: labels, buckets: buckets)
        }
        let decisions = "Admission decisions by result."
        allowed = counter("admission_decisions_total", decisions, [("result", "allow")])
        denied = counter("admission_decisions_total", decisions, [("result", "deny")])
        warned = counter("admission_decisions_total", decisions, [("result", "warn")])
        malformed = counter("admission_malformed_requests_total", "Bodies refused with HTTP 400: not an AdmissionReview, or too large.")
        let latency = "Time from a review's body read to its answer."
        validateLatency = histogram("admission_duration", latency, [("endpoint", "validate")])
        mutateLatency = histogram("admission_duration", latency, [("endpoint", "mutate")])
        imageLatency = histogram("image_verification_duration", "Time to decide one image whose decision was not cached: its verification, or the wait for one under way.", [])
        let cache = "Image decisions by where they came from: hit (cached), shared (joined one under way), miss (verified)."
        cacheHits = counter("decision_cache_total", cache, [("result", "hit")])
        cacheShared = counter("decision_cache_total", cache, [("result", "shared")])
        cacheMisses = counter("decision_cache_total", cache, [("result", "miss")])
        verificationErrors = counter("verification_errors_total", "Images that could not be verified (registry unreachable, not found, unreadable).")
        deadlines = counter("admission_deadline_exceeded_total", "Images denied because verification outlasted the request deadline.")
        logFailures = counter("decision_log_failures_total", "Decisions that could not be recorded in the decision log (and were denied).")
        logRecordLatency = histogram("decision_log_record_duration", "Time for a decision to be durable in the decision log's journal.", [])
        foldLatency = histogram("decision_log_fold_duration", "Time to append the journaled decisions to the log's tree and sign a checkpoint.", [])
        foldedEntries = counter("decision_log_folded_entries_total", "Journaled decisions appended to the decision log's tree.")
        foldFailures = counter("decision_log_fold_failures_total", "Folds of the journal into the tree that failed (the decisions stay journaled).")
        func reloads(_ name: String, _ help: String) -> ReloadCounters {
            ReloadCounters(ok: counter(name, help, [("result", "ok")]), refused: counter(name, help, [("result", "refused")]))
        }
        policyReloads = reloads("policy_reloads_total", "Policy reloads by result.")
        certificateReloads = reloads("certificate_reloads_total", "Serving certificate reloads by result.")
    }

    /// Changed files loaded, and changes refused.
    struct ReloadCounters: Sendable {
        let ok: Counter
        let refused: Counter
    }

    func count(_ source: SharedCache<DecisionKey, PolicyDecision>.Source) {
        switch source {
        case .hit: cacheHits.increment()
        case .shared: cacheShared.increment()
        case .miss: cacheMisses.increment()
        }
    }

    /// The text `/metrics` serves.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
