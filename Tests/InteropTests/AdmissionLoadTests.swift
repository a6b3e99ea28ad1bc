import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `bulla serve` under wrk over TLS on loopback, with the decision log on: cached decisions at
/// 2,000 requests/s, the most it serves, uncached verification against the local registry, and
/// a flood of malformed bodies. The figures are printed (`ADMISSION …` lines) and the targets
/// asserted.
///
/// Run on its own, on a quiet machine, by `make test` (BULLA_LOAD=1, with the release build in
/// BULLA_BIN): timings taken while the rest of the suite runs in parallel would say little.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BULLA_LOAD"] == "1", "make test runs the load test on its own (BULLA_LOAD=1)"))
struct AdmissionLoadTests {
    static func report(_ name: String, _ r: Wrk.Result) {
        print(String(format: "ADMISSION %@: %d requests in %.1f s = %.0f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, unexpected %d, socket errors %d",
                     name, r.requests, r.seconds, r.rate, Double(r.p50Micros) / 1000, Double(r.p99Micros) / 1000, Double(r.maxMicros) / 1000,
                     r.unexpected, r.socketErrors))
    }

    /// Cached decisions: paced to a little over 2,000 requests/s (16 connections, each waiting
    /// 6 ms between answers), then as fast as wrk can ask. Without the decision log, whose durable
    /// record is timed in the next test.
    @Test func cachedDecisions() throws {
        let f = try AdmissionTests.fixture()
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure", "--log-level", "warning"])
        defer { webhook.stop() }
        let body = try Self.signedReview(f)
        let url = "\(webhook.url)/validate"
        // Warm: the first answer verifies and fills the cache.
        let warm = try Wrk.run(url: url, body: body, connections: 1, threads: 1, seconds: 1, in: f.dir)
        #expect(warm.unexpected == 0 && warm.socketErrors == 0)

        let paced = try Wrk.run(url: url, body: body, connections: 16, seconds: 5, paceMs: 6, in: f.dir)
        Self.report("cached, paced", paced)
        #expect(paced.unexpected == 0 && paced.socketErrors == 0)
        // The target is p99 ≤ 2 ms at 2,000/s, measured at 0.9-1.0 ms here; the run fails past
        // 5 ms, or under 1,600/s, so a noisier machine does not turn it red. The figures are the
        // measurement.
        #expect(paced.rate >= 1_600, "served \(paced.rate)/s")
        #expect(paced.p99Micros <= 5_000, "cached p99 \(paced.p99Micros) µs at \(paced.rate)/s")

        let most = try Wrk.run(url: url, body: body, connections: 32, seconds: 5, in: f.dir)
        Self.report("cached, most", most)
        #expect(most.unexpected == 0 && most.socketErrors == 0)
        let metrics = try webhook.metrics()
        #expect(metrics["bulla_decision_cache_total{result=\"miss\"}"] == 1, "one verification for every answer")
    }

    /// The same paced load with every decision recorded durably in the decision log before it
    /// is answered (its journal: one fdatasync per group), set against this disk's own
    /// fdatasync latency measured in the same run; then 10,000 malformed bodies, each a 400,
    /// memory steady. The log verifies and holds one entry per decision.
    @Test func decisionLogAndMalformedFlood() throws {
        let f = try AdmissionTests.fixture()
        let log = "\(f.dir)/load-decisions"
        let initialized = try RegistryTests.bulla(["log", "init", log, "--origin", "bulla.test/load"], in: f.dir)
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let floor = try Self.fdatasyncLatency(in: f.dir)
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure", "--decision-log", log, "--log-level", "warning"])
        defer { webhook.stop() }
        let body = try Self.signedReview(f)
        let url = "\(webhook.url)/validate"
        let warm = try Wrk.run(url: url, body: body, connections: 1, threads: 1, seconds: 1, in: f.dir)
        #expect(warm.unexpected == 0 && warm.socketErrors == 0)

        let paced = try Wrk.run(url: url, body: body, connections: 16, seconds: 5, paceMs: 6, in: f.dir)
        Self.report("logged, paced", paced)
        print(String(format: "ADMISSION fdatasync of a 1.2 KB overwrite in the same directory (the durable log's floor): p50 %.2f ms, p99 %.2f ms; logged p99 is %.1f× the fdatasync p99",
                     Double(floor.p50) / 1000, Double(floor.p99) / 1000, Double(paced.p99Micros) / Double(max(1, floor.p99))))
        #expect(paced.unexpected == 0 && paced.socketErrors == 0)
        // The target is the cached one, p99 ≤ 2 ms at 2,000/s; with the journal's fdatasync the
        // rate follows the disk (1,758/s on a CI-like run whose fdatasync p99 was 1.25 ms, against
        // 2,000-2,350/s at 0.15 ms), so the bound is loose: the figures go in the closing notes.
        #expect(paced.rate >= 1_200, "served \(paced.rate)/s")
        #expect(paced.p99Micros <= 20_000, "logged p99 \(paced.p99Micros) µs at \(paced.rate)/s")
        let logged = try webhook.metrics()
        #expect(logged["bulla_decision_log_fold_failures_total"] == 0)
        #expect((logged["bulla_decision_log_folded_entries_total"] ?? 0) > 0, "the journal is folded into the tree while serving")

        let bad = "\(f.dir)/malformed.json"
        try #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"#.write(toFile: bad, atomically: true, encoding: .utf8)
        let rssBefore = webhook.residentKiB
        let malformed = try Wrk.run(url: url, body: bad, connections: 8, seconds: 10, expect: 400, limitPerThread: 5_000, in: f.dir)
        let rssAfter = webhook.residentKiB
        Self.report("malformed", malformed)
        print("ADMISSION resident memory: \(rssBefore) KiB before the malformed flood, \(rssAfter) KiB after")
        #expect(malformed.requests >= 10_000 && malformed.unexpected == 0 && malformed.socketErrors == 0)
        #expect(rssAfter - rssBefore < 16 * 1024, "grew \(rssAfter - rssBefore) KiB")
        #expect(try webhook.get("/healthz").status == 200)

        // wrk counts answers it read before its clock stopped; the server answered a few more.
        let metrics = try webhook.metrics()
        let decisions = Int(["allow", "deny", "warn"].reduce(0.0) { $0 + (metrics["bulla_admission_decisions_total{result=\"\($1)\"}"] ?? 0) })
        let answered = warm.requests + paced.requests
        #expect(decisions >= answered && decisions <= answered + 17, "\(decisions) decisions for \(answered) answers")
        #expect(Int(metrics["bulla_admission_malformed_requests_total"] ?? 0) >= malformed.requests)
        webhook.stop()
        let verified = try RegistryTests.bulla(["log", "verify", log, "--log-key", "\(log)/log.pub"], in: f.dir)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains(" \(decisions) entries"), "\(verified.stdout) for \(decisions) decisions")
        print("ADMISSION decision log: \(verified.stdout)")
    }

    /// This disk's fdatasync latency for what the journal does: overwrite 1.2 KB of an
    /// allocated file and flush it, 2,000 times.
    static func fdatasyncLatency(in dir: String) throws -> (p50: Int, p99: Int) {
        let path = "\(dir)/fdatasync-probe"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ServerFailed(message: "cannot create \(path)") }
        defer { close(fd); unlink(path) }
        let record = [UInt8](repeating: 0x2A, count: 1200)
        _ = [UInt8](repeating: 0, count: 2_000 * 1200).withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        fsync(fd)
        var micros: [Int] = []
        for i in 0..<2_000 {
            let started = ContinuousClock.now
            _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(i * 1200)) }
            fdatasync(fd)
            let (seconds, attoseconds) = (ContinuousClock.now - started).components
            micros.append(Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        }
        micros.sort()
        return (micros[1_000], micros[1_980])
    }

    static func signedReview(_ f: AdmissionTests.Fixture) throws -> String {
        let body = "\(f.dir)/signed-review.json"
        try Webhook.body(image: "\(f.host)/adm/signed@\(f.digests["adm/signed"]!)", to: body)
        return body
    }

    /// Every answer verifies afresh (no cache): the image's signatures and SBOM read from the
    /// local registry and checked, one request at a time.
    @Test func uncachedVerification() throws {
        let f = try AdmissionTests.fixture()
        let webhook = try Webhook(
            policy: f.policy, in: f.dir, arguments: ["--insecure", "--allow-ttl", "0s", "--deny-ttl", "0s", "--tag-ttl", "0s", "--log-level", "warning"])
        defer { webhook.stop() }
        let body = "\(f.dir)/uncached-review.json"
        try Webhook.body(image: "\(f.host)/adm/signed:1", to: body)
        let run = try Wrk.run(url: "\(webhook.url)/validate", body: body, connections: 1, threads: 1, seconds: 5, in: f.dir)
        Self.report("uncached", run)
        let metrics = try webhook.metrics()
        #expect(run.unexpected == 0 && run.socketErrors == 0)
        #expect(Int(metrics["bulla_decision_cache_total{result=\"miss\"}"] ?? 0) >= run.requests, "every request verified")
        // The target is p99 ≤ 50 ms, measured at 23 ms here; the run fails only well past it.
        #expect(run.p99Micros <= 100_000, "uncached p99 \(run.p99Micros) µs")
    }
}
