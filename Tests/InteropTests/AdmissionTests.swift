import Foundation
import Synchronization
import Testing

/// `bulla serve` as the API server meets it: real AdmissionReview requests built from the
/// Kubernetes client's models (Tests/Fixtures/admission.py), over HTTPS, about images in a real
/// registry (Debian's docker-registry) signed and attested by `bulla`. Patches are applied with
/// the `jsonpatch` library.
///
/// Not in the AddressSanitizer pass, whose build has no server.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no server"))
struct AdmissionTests {
    /// Images in the open registry, signed and attested for each case, and a policy over them.
    final class Fixture: @unchecked Sendable {
        let dir: String
        let host: String
        let policy: String
        /// repository → digest
        var digests: [String: String] = [:]

        static let shared: Result<Fixture, any Error> = Result { try Fixture() }

        init() throws {
            dir = try RegistryTests.workspace()
            host = try Registries.get().open
            let clean = Webhook.root.appendingPathComponent("spec/vectors/policy/predicates/log4j-2.17.1.spdx.json").path
            // repository: (signing key, SBOM to attest or nil)
            let images: [(String, String?, String?)] = [
                ("adm/signed", "ed.key", clean),
                ("adm/unsigned", nil, nil),
                ("adm/untrusted", "p256.key", clean),
                ("adm/nosbom", "ed.key", nil),
                ("adm/log4j", "ed.key", "sbom.spdx.json"),
                ("audit/unsigned", nil, nil),
                ("adm/shared", "ed.key", clean),
                ("adm/kinds", "ed.key", clean),
            ]
            for (repository, key, sbom) in images {
                try RegistryTests.push("amd64", to: "\(host)/\(repository):1", in: dir)
                digests[repository] = try RegistryTests.skopeoDigest("\(host)/\(repository):1", in: dir)
                if let key {
                    let signed = try RegistryTests.bulla(["sign", "--insecure", "\(host)/\(repository):1", "--key", key], in: dir)
                    guard signed.status == 0 else { throw ServerFailed(message: "sign \(repository): \(signed.stderr)") }
                }
                if let key, let sbom {
                    let attested = try RegistryTests.bulla(
                        ["attest", "--insecure", "\(host)/\(repository):1", "--key", key, "--predicate", sbom, "--type", "spdxjson"], in: dir)
                    guard attested.status == 0 else { throw ServerFailed(message: "attest \(repository): \(attested.stderr)") }
                }
            }
            policy = "\(dir)/admission.yaml"
            try Self.policy(host: host).write(toFile: policy, atomically: true, encoding: .utf8)
            let log = try RegistryTests.bulla(["log", "init", "\(dir)/decisions", "--origin", "bulla.test/decisions"], in: dir)
            guard log.status == 0 else { throw ServerFailed(message: "log init: \(log.stderr)") }
        }

        static func policy(host: String, noMatch: String = "deny") -> String {
            """
            version: 1
            noMatch: \(noMatch)
            rules:
              - name: signed-with-sbom
                images: ["\(host)/adm/**", "127.0.0.1:*/adm/**"]
                keys: [ed.pub]
                attestations:
                  - type: spdxjson
                    deniedPackages:
                      - purl: pkg:maven/org.apache.logging.log4j/log4j-core
                        versions: "< 2.17.1"
                        reason: Log4Shell
              - name: audit-only
                images: ["\(host)/audit/**"]
                mode: warn
                keys: [ed.pub]

            """
        }

        func image(_ repository: String) -> String { "\(host)/\(repository):1" }
    }

    static func fixture() throws -> Fixture { try Fixture.shared.get() }

    static func response(_ result: [String: Any]) -> [String: Any] {
        ((result["review"] as? [String: Any])?["response"] as? [String: Any]) ?? [:]
    }

    static func message(_ result: [String: Any]) -> String {
        ((response(result)["status"] as? [String: Any])?["message"] as? String) ?? ""
    }

    @Test func eachCaseGetsTheRightAnswerAndReason() throws {
        let f = try Self.fixture()
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure", "--decision-log", "\(f.dir)/decisions"])
        defer { webhook.stop() }
        let cases: [[String: Any]] = [
            ["case": "signed", "kind": "Pod", "images": [f.image("adm/signed")]],
            ["case": "unsigned", "kind": "Pod", "images": [f.image("adm/unsigned")]],
            ["case": "untrusted", "kind": "Pod", "images": [f.image("adm/untrusted")]],
            ["case": "nosbom", "kind": "Pod", "images": [f.image("adm/nosbom")]],
            ["case": "log4j", "kind": "Pod", "images": [f.image("adm/log4j")]],
            ["case": "mutate", "kind": "Pod", "images": [f.image("adm/signed")], "endpoint": "mutate"],
            ["case": "nomatch", "kind": "Pod", "images": ["registry.example/other/app:2"]],
            ["case": "warn", "kind": "Pod", "images": [f.image("audit/unsigned")]],
            ["case": "mixed", "kind": "Deployment", "images": [f.image("adm/signed"), f.image("adm/unsigned")], "namespace": "prod"],
        ]
        let results = try webhook.review(cases)
        var by: [String: [String: Any]] = [:]
        for result in results {
            let name = try #require(result["name"] as? String)
            #expect(result["status"] as? Int == 200, "\(name): \(result)")
            // The response echoes the request's uid.
            #expect(Self.response(result)["uid"] as? String == result["uid"] as? String, "\(name)")
            by[name] = result
        }
        func allowed(_ name: String) -> Bool? { Self.response(by[name] ?? [:])["allowed"] as? Bool }

        #expect(allowed("signed") == true, "\(by["signed"]!)")
        #expect(Self.response(by["signed"]!)["patch"] == nil, "/validate never patches")

        #expect(allowed("unsigned") == false)
        let unsigned = Self.message(by["unsigned"]!)
        #expect(unsigned.contains("image \(f.image("adm/unsigned"))") && unsigned.contains("rule \"signed-with-sbom\"")
                && unsigned.contains("image signatures: 0 of 1 required trusted key(s) signed"), "\(unsigned)")

        #expect(allowed("untrusted") == false)
        let untrusted = Self.message(by["untrusted"]!)
        #expect(untrusted.contains("0 of 1 required trusted key(s) signed (") && untrusted.contains("no https://spdx.dev/Document attestation"), "\(untrusted)")

        #expect(allowed("nosbom") == false)
        let nosbom = Self.message(by["nosbom"]!)
        #expect(nosbom.contains("no https://spdx.dev/Document attestation by 1 trusted key(s) (none found)") && !nosbom.contains("image signatures:"), "\(nosbom)")

        #expect(allowed("log4j") == false)
        let log4j = Self.message(by["log4j"]!)
        #expect(log4j.contains("log4j-core 2.14.1") && log4j.contains("< 2.17.1") && log4j.contains("Log4Shell"), "\(log4j)")

        // The tag becomes the digest that was verified, applied by jsonpatch.
        #expect(allowed("mutate") == true)
        let patched = try #require(by["mutate"]?["patched"] as? [String: [String]], "\(by["mutate"]!)")
        #expect(patched["containers"] == ["\(f.image("adm/signed"))@\(f.digests["adm/signed"]!)"])

        #expect(allowed("nomatch") == false)
        #expect(Self.message(by["nomatch"]!).contains("no rule matches registry.example/other/app:2 in namespace default; noMatch is deny"))

        // Warn mode: allowed, with the reason as a warning.
        #expect(allowed("warn") == true)
        let warnings = Self.response(by["warn"]!)["warnings"] as? [String] ?? []
        #expect(warnings.count == 1 && warnings[0].contains("rule \"audit-only\"") && warnings[0].contains("(warn only)"), "\(warnings)")

        // One bad image denies the workload; the message names only it.
        #expect(allowed("mixed") == false)
        let mixed = Self.message(by["mixed"]!)
        #expect(mixed.hasPrefix("bulla denied Deployment prod/web: image \(f.image("adm/unsigned")) (container app-1)"), "\(mixed)")
        #expect(!mixed.contains("adm/signed"), "\(mixed)")

        // A body that is not an AdmissionReview is a 400, and is not a decision.
        let bad = try Command.run(["curl", "-s", "--cacert", webhook.ca, "-w", "\n%{http_code}", "-d", "{\"kind\":\"Pod\"}", "\(webhook.url)/validate"])
        #expect(bad.stdout.hasSuffix("\n400") && bad.stdout.contains("not an AdmissionReview"), "\(bad.stdout)")

        // Every decision is in the log, which verifies.
        let metrics = try webhook.metrics()
        let decisions = ["allow", "deny", "warn"].reduce(0.0) { $0 + (metrics["bulla_admission_decisions_total{result=\"\($1)\"}"] ?? 0) }
        #expect(decisions == Double(cases.count))
        #expect(metrics["bulla_admission_malformed_requests_total"] == 1)
        // Each decision's log line has `allowed` as a JSON boolean, and a denial its reason.
        let logged = webhook.logLines().filter { $0["message"] as? String == "admission decision" }
        #expect(logged.count == cases.count, "\(logged)")
        let unsignedLine = logged.first { ($0["images"] as? [String])?.first?.hasPrefix(f.image("adm/unsigned")) == true && $0["kind"] as? String == "Pod" }
        #expect(unsignedLine?["allowed"] as? Bool == false && (unsignedLine?["reason"] as? String)?.contains("0 of 1 required trusted key(s) signed") == true, "\(String(describing: unsignedLine))")
        #expect(logged.filter { $0["allowed"] as? Bool == true }.allSatisfy { $0["reason"] == nil }, "\(logged)")
        webhook.stop()
        let verified = try RegistryTests.bulla(["log", "verify", "\(f.dir)/decisions", "--log-key", "\(f.dir)/decisions/log.pub"], in: f.dir)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("\(cases.count) entries"), "\(verified.stdout)")
    }

    /// Every workload kind, each of its three container lists, patched where they are.
    /// Every decision answered before the process is killed (SIGKILL, no chance to clean up)
    /// is in the log after it starts again: answered means journaled, and the journal is folded
    /// into the tree on start. Folding is held off (--fold-interval 60000) so the decisions are
    /// only in the journal when the process dies.
    @Test func decisionsAnsweredBeforeACrashAreInTheLog() throws {
        let f = try Self.fixture()
        let log = "\(f.dir)/crash-decisions"
        #expect(try RegistryTests.bulla(["log", "init", log, "--origin", "bulla.test/crash"], in: f.dir).status == 0)
        let arguments = ["--insecure", "--decision-log", log, "--fold-interval", "60s"]
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: arguments)
        let body = "\(f.dir)/crash-review.json"
        try Webhook.body(image: "\(f.host)/adm/signed@\(f.digests["adm/signed"]!)", to: body)
        let url = "\(webhook.url)/validate"
        let load = DispatchQueue(label: "wrk")
        let result = Mutex<Wrk.Result?>(nil)
        load.async {
            let run = try? Wrk.run(url: url, body: body, connections: 4, threads: 1, seconds: 3, in: f.dir)
            result.withLock { $0 = run }
        }
        usleep(1_500_000)
        kill(webhook.pid, SIGKILL)
        load.sync {}
        webhook.stop()
        let run = result.withLock { $0 }
        let answered = try #require(run).requests
        #expect(answered > 20 && run?.unexpected == 0, "\(String(describing: run))")

        let before = try RegistryTests.bulla(["log", "verify", log, "--log-key", "\(log)/log.pub"], in: f.dir)
        #expect(before.status == 0 && before.stdout.contains("more journaled, not yet in the tree"), "\(before.stdout)\(before.stderr)")

        let restarted = try Webhook(policy: f.policy, in: f.dir, arguments: arguments)
        restarted.stop()
        let recovered = restarted.logLines().first { $0["message"] as? String == "the decision log was not closed: its journal was folded into the tree" }
        let folded = (recovered?["entries"] as? String).flatMap { Int($0) } ?? (recovered?["entries"] as? Int) ?? 0
        #expect(folded >= answered && folded <= answered + 4, "folded \(folded) for \(answered) answers: \(restarted.logLines())")
        let after = try RegistryTests.bulla(["log", "verify", log, "--log-key", "\(log)/log.pub"], in: f.dir)
        #expect(after.status == 0 && after.stdout.contains(" \(folded) entries") && !after.stdout.contains("journaled"), "\(after.stdout)\(after.stderr)")
    }

    /// A replica's first start on an empty volume: `--decision-log-origin` makes the log with
    /// the key it is given (as a Secret would mount it), the decision is logged and verifies
    /// with log.pub; a restart reuses the log; a volume holding another replica's log, or a
    /// key that does not sign it, is refused before anything is served.
    @Test func aReplicaMakesItsDecisionLogOnFirstStart() throws {
        let f = try Self.fixture()
        let key = "\(f.dir)/secret-log"
        #expect(try RegistryTests.bulla(["key", "generate", "--algorithm", "ed25519", "--output-prefix", key], in: f.dir, environment: ["BULLA_PASSWORD": "pw"]).status == 0)
        let volume = "\(f.dir)/volume-0"
        try FileManager.default.createDirectory(atPath: "\(volume)/lost+found", withIntermediateDirectories: true)
        let arguments = ["--insecure", "--decision-log", volume, "--log-signing-key", "\(key).key", "--decision-log-origin", "bulla.test/decisions/bulla-0"]
        for start in 0..<2 {
            let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: arguments)
            let results = try webhook.review([["case": "signed", "kind": "Pod", "images": [f.image("adm/signed")]]])
            webhook.stop()
            #expect(Self.response(results[0])["allowed"] as? Bool == true, "\(results[0])")
            let made = webhook.logLines().contains { $0["message"] as? String == "made the decision log" }
            #expect(made == (start == 0), "start \(start): \(webhook.logLines())")
        }
        let verified = try RegistryTests.bulla(["log", "verify", volume, "--log-key", "\(key).pub"], in: f.dir)
        #expect(verified.status == 0 && verified.stdout.contains(" 2 entries"), "\(verified.stdout)\(verified.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(volume)/log.pub")) == Data(contentsOf: URL(fileURLWithPath: "\(key).pub")))

        var other = arguments
        other[other.count - 1] = "bulla.test/decisions/bulla-1"
        let refused = try Command.run(
            [Peers.bulla, "serve", "--policy", f.policy, "--tls-cert", "\(f.dir)/tls/tls.crt", "--tls-key", "\(f.dir)/tls/tls.key", "--listen", "127.0.0.1:0"] + other,
            environment: ["BULLA_PASSWORD": "pw"])
        #expect(refused.status == 2 && refused.stderr.contains("holds the log \"bulla.test/decisions/bulla-0\", not \"bulla.test/decisions/bulla-1\""), "\(refused.stderr)")
    }

    @Test(arguments: ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"])
    func everyKindAndContainerListIsReadAndPatched(_ kind: String) throws {
        let f = try Self.fixture()
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure"])
        defer { webhook.stop() }
        let image = f.image("adm/kinds")
        let pinned = "\(image)@\(f.digests["adm/kinds"]!)"
        var allowed: [String: Any] = ["case": kind, "kind": kind, "images": [image, pinned], "init": [image], "endpoint": "mutate"]
        if kind == "Pod" { allowed["ephemeral"] = [image] }
        let denied: [String: Any] = ["case": "denied", "kind": kind, "images": [image], "init": [f.image("adm/unsigned")]]
        let results = try webhook.review([allowed, denied])
        #expect(Self.response(results[0])["allowed"] as? Bool == true, "\(results[0])")
        let patched = try #require(results[0]["patched"] as? [String: [String]], "\(results[0])")
        // The already pinned image is left as written.
        #expect(patched["containers"] == [pinned, pinned])
        #expect(patched["initContainers"] == [pinned])
        #expect(patched["ephemeralContainers"] == (kind == "Pod" ? [pinned] : []))
        #expect(Self.response(results[1])["allowed"] as? Bool == false)
        #expect(Self.message(results[1]).contains("(initContainer init-0)"), "\(Self.message(results[1]))")
    }

    /// Sixteen pods asking at once about an image never seen share one verification, and later
    /// asks are answered from the cache.
    @Test func concurrentAsksShareOneVerification() throws {
        let f = try Self.fixture()
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure"])
        defer { webhook.stop() }
        let pod: [String: Any] = ["kind": "Pod", "images": ["\(f.host)/adm/shared@\(f.digests["adm/shared"]!)"], "concurrent": true]
        let results = try webhook.review(Array(repeating: pod, count: 16))
        #expect(results.allSatisfy { Self.response($0)["allowed"] as? Bool == true }, "\(results.first!)")
        let first = try webhook.metrics()
        #expect(first["bulla_decision_cache_total{result=\"miss\"}"] == 1, "\(first.filter { $0.key.contains("cache") })")
        #expect((first["bulla_decision_cache_total{result=\"shared\"}"] ?? 0) + (first["bulla_decision_cache_total{result=\"hit\"}"] ?? 0) == 15)
        _ = try webhook.review([pod])
        #expect(try webhook.metrics()["bulla_decision_cache_total{result=\"miss\"}"] == 1)
    }

    /// The registry gone mid-run: images not yet proven are denied, with the reason, inside the
    /// deadline; a registry that stalls is cut off at the deadline. Proven images stay cached.
    @Test func registryFaultsDenyWithTheReasonInsideTheDeadline() throws {
        let f = try Self.fixture()
        let proxy = try FaultProxy(upstream: f.host, mode: "ok")
        let stalled = try FaultProxy(upstream: f.host, mode: "stall")
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--insecure", "--deadline", "1500ms"])
        defer { webhook.stop() }
        let through = { (proxy: FaultProxy, repository: String) -> [String: Any] in
            ["kind": "Pod", "images": ["\(proxy.address)/\(repository):1"]]
        }
        let before = try webhook.review([through(proxy, "adm/signed")])
        #expect(Self.response(before[0])["allowed"] as? Bool == true, "\(before[0])")

        proxy.stop()
        let after = try webhook.review([through(proxy, "adm/signed"), through(proxy, "adm/nosbom")])
        #expect(Self.response(after[0])["allowed"] as? Bool == true, "a proven image stays allowed from the cache")
        #expect(Self.response(after[1])["allowed"] as? Bool == false)
        let reason = Self.message(after[1])
        #expect(reason.contains("cannot be verified") && reason.contains(proxy.address), "\(reason)")
        #expect((after[1]["ms"] as? Double ?? 1e9) < 1500, "\(after[1])")

        let stall = try webhook.review([through(stalled, "adm/signed")])
        #expect(Self.response(stall[0])["allowed"] as? Bool == false)
        #expect(Self.message(stall[0]).contains("did not finish within the 1500 ms deadline"), "\(Self.message(stall[0]))")
        #expect((stall[0]["ms"] as? Double ?? 1e9) < 2500, "\(stall[0])")
        let metrics = try webhook.metrics()
        #expect((metrics["bulla_verification_errors_total"] ?? 0) >= 1 && metrics["bulla_admission_deadline_exceeded_total"] == 1)
    }

    /// A broken policy file is refused and logged; the policy in force stays, and so does
    /// readiness. A good one replaces it.
    @Test func aBrokenPolicyIsRefusedAndTheOldOneKept() throws {
        let f = try Self.fixture()
        let policy = "\(f.dir)/reloading.yaml"
        try Fixture.policy(host: f.host).write(toFile: policy, atomically: true, encoding: .utf8)
        let webhook = try Webhook(policy: policy, in: f.dir, arguments: ["--insecure", "--reload-interval", "100ms"])
        defer { webhook.stop() }
        let cases: [[String: Any]] = [["kind": "Pod", "images": [f.image("adm/signed")]], ["kind": "Pod", "images": ["registry.example/x:1"]]]
        func answers() throws -> [Bool?] { try webhook.review(cases).map { Self.response($0)["allowed"] as? Bool } }
        #expect(try answers() == [true, false])

        try "version: 1\nrules:\n  - name: broken\n    images: [\"**\"]\n    keys: [missing.pub]\n".write(toFile: policy, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try answers() == [true, false])
        #expect(try webhook.get("/readyz").status == 200)
        let refused = webhook.logLines().filter { $0["message"] as? String == "policy change refused; the policy in force stays" }
        #expect(refused.count == 1 && (refused.first?["reason"] as? String ?? "").contains("missing.pub"), "\(refused)")
        #expect(try webhook.metrics()["bulla_policy_reloads_total{result=\"refused\"}"] == 1)

        try Fixture.policy(host: f.host, noMatch: "allow").write(toFile: policy, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try answers() == [true, true])
        #expect(try webhook.metrics()["bulla_policy_reloads_total{result=\"ok\"}"] == 1)
    }

    /// The serving certificate rotates without a restart: a new pair in the files is served to
    /// new connections (curl checks it against its own CA), a pair whose key is not the
    /// certificate's is refused and logged while the old pair goes on serving.
    @Test func theServingCertificateRotatesWithoutARestart() throws {
        let f = try Self.fixture()
        let (first, second, served) = ("\(f.dir)/rotate-1", "\(f.dir)/rotate-2", "\(f.dir)/rotate-served")
        for dir in [first, second] {
            _ = try Command.succeed(["bash", Webhook.makeCert, dir], environment: ["EXTRA_SANS": "IP:127.0.0.1"])
        }
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        func serve(_ files: [(String, String)]) throws {
            for (from, name) in files {
                try? FileManager.default.removeItem(atPath: "\(served)/\(name).new")
                try FileManager.default.copyItem(atPath: from, toPath: "\(served)/\(name).new")
                _ = rename("\(served)/\(name).new", "\(served)/\(name)")
            }
        }
        try serve([("\(first)/tls.crt", "tls.crt"), ("\(first)/tls.key", "tls.key"), ("\(first)/ca.crt", "ca.crt")])
        let webhook = try Webhook(policy: f.policy, in: f.dir, tls: served, arguments: ["--insecure", "--reload-interval", "100ms"])
        defer { webhook.stop() }
        func trusted(by ca: String) throws -> Bool {
            try Command.run(["curl", "-s", "-o", "/dev/null", "--cacert", "\(ca)/ca.crt", "\(webhook.url)/healthz"]).status == 0
        }
        #expect(try trusted(by: first) && !trusted(by: second))

        // The second certificate with the first key: refused, the first pair still served.
        try serve([("\(second)/tls.crt", "tls.crt")])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try trusted(by: first) && !trusted(by: second))
        let refused = webhook.logLines().filter { $0["message"] as? String == "serving certificate change refused; the serving certificate in force stays" }
        #expect(refused.count == 1 && (refused.first?["reason"] as? String ?? "").contains("is not the key of the certificate"), "\(refused)")

        try serve([("\(second)/tls.key", "tls.key")])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try trusted(by: second) && !trusted(by: first))
        let metrics = try Command.run(["curl", "-s", "--cacert", "\(second)/ca.crt", "\(webhook.url)/metrics"]).stdout
        #expect(metrics.contains("bulla_certificate_reloads_total{result=\"ok\"} 1") && metrics.contains("bulla_certificate_reloads_total{result=\"refused\"} 1"), "\(metrics)")
    }

    /// Air-gapped: the image and its signatures copied to a mirror with `bulla copy`, the
    /// webhook reads only the mirror.
    @Test func airGappedFromAMirror() throws {
        let f = try Self.fixture()
        let mirror = "\(f.dir)/mirror"
        for repository in ["adm/signed", "adm/nosbom"] {
            let copied = try RegistryTests.bulla(["copy", "--insecure", f.image(repository), "oci:\(mirror)/\(f.host.replacingOccurrences(of: ":", with: "_"))/\(repository):1"], in: f.dir)
            #expect(copied.status == 0, "\(copied.stderr)")
        }
        let webhook = try Webhook(policy: f.policy, in: f.dir, arguments: ["--mirror", mirror])
        defer { webhook.stop() }
        let results = try webhook.review([
            ["kind": "Pod", "images": [f.image("adm/signed")], "endpoint": "mutate"],
            ["kind": "Pod", "images": [f.image("adm/nosbom")]],
            ["kind": "Pod", "images": [f.image("adm/unsigned")]],
        ])
        #expect(Self.response(results[0])["allowed"] as? Bool == true, "\(results[0])")
        #expect((results[0]["patched"] as? [String: [String]])?["containers"] == ["\(f.image("adm/signed"))@\(f.digests["adm/signed"]!)"])
        #expect(Self.message(results[1]).contains("no https://spdx.dev/Document attestation"), "\(results[1])")
        #expect(Self.message(results[2]).contains("the mirror \(mirror) has no layout for \(f.host)/adm/unsigned"), "\(results[2])")
    }

    /// Keyless signing as GitHub Actions does it, on a synthetic Sigstore PKI
    /// (Fixtures/keyless/keyless_image.py: a Fulcio-like certificate with the workflow's claims, a
    /// Rekor entry with its signed timestamp and proof): a policy naming the release workflow
    /// admits the image; one naming another workflow of the same repository denies it, and the
    /// denial names the identity that did sign.
    @Test func aKeylessImageIsAdmittedForItsWorkflowOnly() throws {
        let f = try Self.fixture()
        let mirror = "\(f.dir)/keyless-mirror"
        let layout = "\(mirror)/\(f.host.replacingOccurrences(of: ":", with: "_"))/adm/unsigned"
        let copied = try RegistryTests.bulla(["copy", "--insecure", f.image("adm/unsigned"), "oci:\(layout):1"], in: f.dir)
        #expect(copied.status == 0, "\(copied.stderr)")
        let script = Webhook.root.appendingPathComponent("Tests/Fixtures/keyless/keyless_image.py").path
        let made = try Command.succeed(["python3", script, layout, "1", "\(f.dir)/keyless"]).split(separator: "\n").map(String.init)
        let (root, identity) = (made[0], made[1])
        func policy(_ workflow: String) throws -> String {
            let path = "\(f.dir)/keyless-\(workflow).yaml"
            try """
                version: 1
                noMatch: deny
                rules:
                  - name: release-workflow
                    images: ["\(f.host)/adm/**"]
                    identities:
                      - issuer: https://token.actions.githubusercontent.com
                        subject: https://github.com/acme/payments/.github/workflows/\(workflow)@refs/heads/main
                        claims:
                          githubWorkflowRepository: acme/payments
                          sourceRepositoryRef: refs/heads/main
                    trustedRoot: \(root)

                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let pod: [String: Any] = ["kind": "Pod", "images": [f.image("adm/unsigned")]]
        let allowed = try Webhook(policy: try policy("release.yml"), in: f.dir, arguments: ["--mirror", mirror])
        let admitted = try allowed.review([pod])[0]
        allowed.stop()
        #expect(Self.response(admitted)["allowed"] as? Bool == true, "\(admitted)")
        let other = try Webhook(policy: try policy("deploy.yml"), in: f.dir, arguments: ["--mirror", mirror])
        defer { other.stop() }
        let denied = try other.review([pod])[0]
        #expect(Self.response(denied)["allowed"] as? Bool == false, "\(denied)")
        let message = Self.message(denied)
        #expect(message.contains("the certificate is for \(identity) (issuer https://token.actions.githubusercontent.com), which no trusted identity allows")
                && message.contains("workflows/deploy.yml@refs/heads/main"), "\(message)")
    }

    /// deploy/ as a cluster would get it: `kubectl kustomize` renders the example overlay,
    /// the Kubernetes schemas accept every document offline (kubernetes-validate, strict), the
    /// official client's models load them and the operating rules hold (a StatefulSet of 2
    /// with a volume claim per replica, the image by digest, non-root, read-only root, limits,
    /// TLS, failurePolicy Fail, opt-in label, a timeout above the deadline); a manifest that
    /// breaks a rule is caught.
    @Test func deployRendersAndPassesTheKubernetesSchemasAndClient() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (rendered, others, bundle) = try Self.renderDeploy(in: dir)
        let check = AttestationPolicyTests.fixtures.appendingPathComponent("check_manifests.py").path
        let validated = try Command.run([try Peers.path("kubernetes-validate"), "--strict", "-k", "1.32.0", rendered] + others)
        #expect(validated.status == 0 && !validated.stdout.contains("ERROR"), "\(validated.stdout)\(validated.stderr)")
        #expect(validated.stdout.contains("statefulset/bulla-webhook"), "\(validated.stdout)")
        let ok = try Command.run([try Peers.path("python3"), check, bundle, rendered] + others)
        #expect(ok.status == 0 && ok.stdout.hasPrefix("ok "), "\(ok.stdout)\(ok.stderr)")

        let hooks = "\(dir)/broken-webhooks.yaml"
        try (try String(contentsOfFile: others[0], encoding: .utf8)).replacingOccurrences(of: "failurePolicy: Fail", with: "failurePolicy: Ignore")
            .write(toFile: hooks, atomically: true, encoding: .utf8)
        let broken = try Command.run([try Peers.path("python3"), check, bundle, rendered, hooks])
        #expect(broken.status == 1 && broken.stdout.contains("failurePolicy is Ignore, not Fail"), "\(broken.stdout)")
    }

    /// The rendered StatefulSet's container started as written: the same arguments (with
    /// `$(POD_NAME)` expanded as the kubelet does) and environment, its mounts made under a
    /// scratch root holding what each volume would (the overlay's policy and key, the serving
    /// certificate, the log key Secret, an empty claim). Only the listening port differs (a
    /// free one, not :8443). The first start makes the replica's log; a decision is logged in
    /// it and `bulla log verify` checks it with the key's public half.
    @Test func theWebhookStartsAsTheStatefulSetSays() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (rendered, _, _) = try Self.renderDeploy(in: dir)
        let describe = AttestationPolicyTests.fixtures.appendingPathComponent("statefulset_container.py").path
        let spec = try #require(try JSONSerialization.jsonObject(
            with: Data(try Command.succeed([try Peers.path("python3"), describe, rendered, "bulla-webhook-0"]).utf8)) as? [String: Any])
        let root = "\(dir)/root"
        let mounts = try #require(spec["mounts"] as? [String: [String: Any]])
        let overlay = Webhook.root.appendingPathComponent("deploy/overlays/example").path
        let passphrase = "log-secret"
        for (path, volume) in mounts {
            let target = root + path
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            switch (volume["configMap"] as? String, volume["secret"] as? String) {
            case ("bulla-policy"?, _):
                for file in ["policy.yaml", "release.pub"] { _ = try Command.succeed(["cp", "\(overlay)/\(file)", target]) }
            case (_, "bulla-webhook-tls"?):
                _ = try Command.succeed(["bash", Webhook.makeCert, target], environment: ["EXTRA_SANS": "IP:127.0.0.1,DNS:localhost"])
            case (_, "bulla-decision-log"?):
                let made = try RegistryTests.bulla(["key", "generate", "--algorithm", "ed25519", "--output-prefix", "\(dir)/log"], in: dir, environment: ["BULLA_PASSWORD": passphrase])
                #expect(made.status == 0, "\(made.stderr)")
                _ = try Command.succeed(["cp", "\(dir)/log.key", "\(target)/log.key"])
            default:
                break  // the registry credentials are optional; the claim starts empty
            }
        }
        var command = try #require(spec["args"] as? [String]).map { argument in
            mounts.keys.reduce(argument) { text, path in text.replacingOccurrences(of: "=\(path)", with: "=\(root)\(path)") }
        }
        #expect(command.firstIndex(of: "--listen=:8443") != nil, "\(command)")
        command = command.map { $0 == "--listen=:8443" ? "--listen=127.0.0.1:0" : $0 }
        let env = try #require(spec["env"] as? [String: [String: String]])
        #expect(env["BULLA_LOG_PASSWORD"] == ["secret": "bulla-decision-log", "key": "passphrase"])
        #expect(env["DOCKER_CONFIG"] == ["value": "/etc/bulla/registry"])
        let webhook = try Webhook(command: command, ca: "\(root)/etc/bulla/tls/ca.crt", in: dir, environment: [
            "BULLA_LOG_PASSWORD": passphrase, "POD_NAME": "bulla-webhook-0", "DOCKER_CONFIG": "\(root)/etc/bulla/registry",
        ])
        let results = try webhook.review([["case": "unmatched", "kind": "Pod", "images": ["quay.io/other/app:1"]]])
        webhook.stop()
        #expect(Self.response(results[0])["allowed"] as? Bool == false, "\(results[0])")
        #expect(Self.message(results[0]).contains("no rule matches quay.io/other/app:1"), "\(results[0])")
        #expect(webhook.logLines().contains { $0["message"] as? String == "made the decision log" }, "\(webhook.logLines())")
        let decisions = "\(root)/var/lib/bulla/decisions"
        let verified = try RegistryTests.bulla(["log", "verify", decisions, "--log-key", "\(dir)/log.pub"], in: dir)
        #expect(verified.status == 0 && verified.stdout.contains(": 1 entries"), "\(verified.stdout)\(verified.stderr)")
        let state = try String(contentsOfFile: "\(decisions)/state", encoding: .utf8)
        #expect(state.contains("bulla.dev/decisions/bulla-webhook-0"), "\(state)")
    }

    /// deploy/ (the example overlay) rendered by kubectl into `dir`, with the other manifests
    /// install.sh applies (webhooks with the CA filled in, the Secrets' shapes) and the CA.
    static func renderDeploy(in dir: String) throws -> (rendered: String, others: [String], bundle: String) {
        let deploy = Webhook.root.appendingPathComponent("deploy").path
        let rendered = "\(dir)/rendered.yaml"
        try try Command.succeed([try Peers.path("kubectl"), "kustomize", deploy]).write(toFile: rendered, atomically: true, encoding: .utf8)
        let bundle = try Command.succeed(["bash", Webhook.makeCert, "\(dir)/certs"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let chain = try Command.succeed(["openssl", "verify", "-CAfile", "\(dir)/certs/ca.crt", "\(dir)/certs/tls.crt"])
        #expect(chain.contains("OK"))
        let hooks = "\(dir)/webhooks.yaml"
        try (try String(contentsOfFile: "\(deploy)/webhooks.yaml", encoding: .utf8)).replacingOccurrences(of: "CA_BUNDLE", with: bundle)
            .write(toFile: hooks, atomically: true, encoding: .utf8)
        return (rendered, [hooks, "\(deploy)/secrets.yaml"], bundle)
    }
}
