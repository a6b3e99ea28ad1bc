import Foundation
import Testing

/// The command line against what an attacker can hand it: SBOMs whose purls cannot be read, a
/// stale attestation offered to make up a threshold, a policy whose keys differ from `--key`, an
/// index that lists the same manifests millions of times, a policy of nested YAML aliases, and a
/// log whose `state` was edited. Each is refused (or denied) with the exit status of its kind and
/// its reason, in bounded time; a control shows the same setup allows what it should.
@Suite struct CLIHardeningTests {
    /// Runs bulla with the tests' passphrase in `dir`, killed after `timeout` seconds (a hang
    /// then fails the test); returns what it did and how long it took.
    static func run(_ arguments: [String], in dir: String, timeout: TimeInterval = 60) throws -> (result: Command.Result, seconds: Double) {
        let start = Date()
        let result = try Command.run([Peers.bulla] + arguments, in: dir, environment: ["BULLA_PASSWORD": "pw"], timeout: timeout)
        return (result, Date().timeIntervalSince(start))
    }

    /// A predicate from spec/vectors/policy/predicates.
    static func predicate(_ name: String) -> String {
        Webhook.root.appendingPathComponent("spec/vectors/policy/predicates/\(name)").path
    }

    // MARK: Purls that cannot be read

    struct MalformedPurl: Sendable, CustomTestStringConvertible {
        let name: String
        let purl: String
        /// What the denial must say about the purl.
        let fragment: String
        var testDescription: String { name }
    }

    static let malformedPurls: [MalformedPurl] = [
        MalformedPurl(
            name: "a qualifier without a value", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?classifier",
            fragment: #"qualifier "classifier" has no value"#),
        MalformedPurl(
            name: "a malformed escape in a qualifier", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?x=%zz",
            fragment: #"malformed percent escape in "%zz""#),
        MalformedPurl(
            name: "a qualifier value of 5000 characters",
            purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?x=" + String(repeating: "a", count: 5000),
            fragment: "longer than 4096 bytes"),
        MalformedPurl(
            name: "a malformed escape in the name", purl: "pkg:maven/org.apache.logging.log4j/log4j-c%zzore@2.14.1",
            fragment: #"malformed percent escape in "log4j-c%zzore""#),
    ]

    /// log4j-core 2.14.1 behind a purl that does not parse is still log4j-core 2.14.1: denied by
    /// `policy check` and by `verify-attestation --policy` (exit 1, "unreadable purl"), not let
    /// through because the rule's purl could not be compared. The same policy allows the image's
    /// other platform, whose SBOM names log4j-core 2.17.1 with a well-formed purl.
    @Test(arguments: malformedPurls)
    func malformedPurlsCannotSmuggleLog4ShellPastPolicyCheck(_ bad: MalformedPurl) throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vector = try String(contentsOfFile: Self.predicate("log4j-2.14.1.spdx.json"), encoding: .utf8)
        let wellFormed = #""pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1""#
        try #require(vector.components(separatedBy: wellFormed).count == 2, "the vector names log4j-core's purl once")
        try vector.replacingOccurrences(of: wellFormed, with: "\"\(bad.purl)\"")
            .write(toFile: "\(dir)/smuggled.spdx.json", atomically: true, encoding: .utf8)

        let smuggled = try Self.run(["attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "smuggled.spdx.json", "--type", "spdxjson"], in: dir).result
        try #require(smuggled.status == 0, "\(HostileRegistryTests.shown(smuggled))")
        let clean = try Self.run(
            ["attest", "oci:layout:arm64", "--key", "p256.key", "--predicate", Self.predicate("log4j-2.17.1.spdx.json"), "--type", "spdxjson"], in: dir).result
        try #require(clean.status == 0, "\(HostileRegistryTests.shown(clean))")
        try AttestationPolicyTests.policy("""
            version: 1
            rules:
              - name: log4shell
                images: ["oci:layout:*"]
                attestations:
                  - type: spdxjson
                    keys: [p256.pub]
                    deniedPackages:
                      - purl: pkg:maven/org.apache.logging.log4j/log4j-core
                        versions: "< 2.17.1"
            """, in: dir)

        let (checked, checkSeconds) = try Self.run(["policy", "check", "--policy", "policy.yaml", "oci:layout:amd64"], in: dir, timeout: 60)
        #expect(checked.status == 1, "\(HostileRegistryTests.shown(checked))")
        #expect(checked.stdout.hasPrefix("DENY  oci:layout:amd64"), "\(HostileRegistryTests.shown(checked))")
        #expect(checked.stdout.contains("package log4j-core 2.14.1") && checked.stdout.contains("unreadable purl")
                && checked.stdout.contains(bad.fragment), "\(HostileRegistryTests.shown(checked))")
        #expect(checkSeconds < 30, "took \(checkSeconds) s")

        let (verified, verifySeconds) = try Self.run(
            ["verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "spdxjson", "--policy", "policy.yaml"], in: dir, timeout: 60)
        #expect(verified.status == 1, "\(HostileRegistryTests.shown(verified))")
        #expect(verified.stderr.contains("denied by policy.yaml") && verified.stderr.contains("unreadable purl")
                && verified.stderr.contains(bad.fragment), "\(HostileRegistryTests.shown(verified))")
        #expect(verifySeconds < 30, "took \(verifySeconds) s")

        // The control: the policy, the key and the layout allow a readable, patched SBOM.
        let allowed = try Self.run(["policy", "check", "--policy", "policy.yaml", "oci:layout:arm64"], in: dir).result
        #expect(allowed.status == 0 && allowed.stdout.hasPrefix("ALLOW  oci:layout:arm64"), "\(HostileRegistryTests.shown(allowed))")
        let allowedByVerify = try Self.run(
            ["verify-attestation", "oci:layout:arm64", "--key", "p256.pub", "--type", "spdxjson", "--policy", "policy.yaml"], in: dir).result
        #expect(allowedByVerify.status == 0, "\(HostileRegistryTests.shown(allowedByVerify))")
    }

    // MARK: Thresholds

    /// Two keys must attest within 30 days. Key A's SBOM is a day old, key B's is from 2020: B's
    /// signature verifies, but its attestation fails maxAge, so it does not count toward the
    /// threshold (exit 1, "1 of 2"). With both fresh (the other platform) the image is allowed.
    @Test func aStaleAttestationDoesNotMakeUpAThreshold() throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vector = try String(contentsOfFile: Self.predicate("log4j-2.17.1.spdx.json"), encoding: .utf8)
        func sbom(created: String, to name: String) throws {
            let dated = vector.replacingOccurrences(of: #""created": "[^"]*""#, with: "\"created\": \"\(created)\"", options: .regularExpression)
            try #require(dated.contains("\"created\": \"\(created)\""), "the vector has no creationInfo.created")
            try dated.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
        }
        try sbom(created: ISO8601DateFormatter().string(from: Date().addingTimeInterval(-86_400)), to: "recent.spdx.json")
        try sbom(created: "2020-01-01T00:00:00Z", to: "stale.spdx.json")
        // A is p256, B is ed.
        for (image, key, file) in [("amd64", "p256.key", "recent"), ("amd64", "ed.key", "stale"), ("arm64", "p256.key", "recent"), ("arm64", "ed.key", "recent")] {
            let made = try Self.run(["attest", "oci:layout:\(image)", "--key", key, "--predicate", "\(file).spdx.json", "--type", "spdxjson"], in: dir).result
            try #require(made.status == 0, "\(image) \(key): \(HostileRegistryTests.shown(made))")
        }
        try AttestationPolicyTests.policy("""
            version: 1
            rules:
              - name: two-signers
                images: ["oci:layout:*"]
                attestations:
                  - type: spdxjson
                    keys: [p256.pub, ed.pub]
                    threshold: 2
                    maxAge: 30d
            """, in: dir)

        let (stale, seconds) = try Self.run(["policy", "check", "--policy", "policy.yaml", "oci:layout:amd64"], in: dir, timeout: 60)
        #expect(stale.status == 1, "\(HostileRegistryTests.shown(stale))")
        #expect(stale.stdout.hasPrefix("DENY  oci:layout:amd64"), "\(HostileRegistryTests.shown(stale))")
        #expect(stale.stdout.contains("1 of 2 required trusted key(s)"), "\(HostileRegistryTests.shown(stale))")
        #expect(stale.stdout.contains("was made 2020-01-01T00:00:00Z") && stale.stdout.contains("maxAge is 30d"), "\(HostileRegistryTests.shown(stale))")
        #expect(seconds < 30, "took \(seconds) s")

        let fresh = try Self.run(["policy", "check", "--policy", "policy.yaml", "oci:layout:arm64"], in: dir).result
        #expect(fresh.status == 0, "\(HostileRegistryTests.shown(fresh))")
        #expect(fresh.stdout.hasPrefix("ALLOW  oci:layout:arm64") && fresh.stdout.contains("by 2 of the rule's trusted keys meet the rule"),
                "\(HostileRegistryTests.shown(fresh))")
    }

    // MARK: Whose keys

    /// `verify-attestation --key A --policy P` judges the attestations by P's keys, not by the
    /// `--key` that verified them: A's attestation verifies with `--key A`, but under a rule that
    /// trusts only B it meets nothing (exit 1), and neither the text nor the JSON report says
    /// it did. Under a rule that trusts A it is allowed.
    @Test func verifyAttestationAppliesThePolicysOwnKeys() throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try Self.run(
            ["attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", Self.predicate("log4j-2.17.1.spdx.json"), "--type", "spdxjson"], in: dir).result
        try #require(made.status == 0, "\(HostileRegistryTests.shown(made))")
        func trusting(_ key: String) throws {
            try AttestationPolicyTests.policy("""
                version: 1
                rules:
                  - name: sbom
                    images: ["oci:layout:*"]
                    attestations:
                      - type: spdxjson
                        keys: [\(key)]
                """, in: dir)
        }
        let arguments = ["verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "spdxjson", "--policy", "policy.yaml"]

        try trusting("ed.pub")
        let (denied, seconds) = try Self.run(arguments, in: dir, timeout: 60)
        let said = denied.stdout + denied.stderr
        #expect(denied.status == 1, "\(HostileRegistryTests.shown(denied))")
        #expect(said.contains("no https://spdx.dev/Document attestation by 1 trusted key(s)") && said.contains("which is not trusted"),
                "\(HostileRegistryTests.shown(denied))")
        #expect(!said.contains("meet the rule") && !said.contains("ALLOW"), "\(HostileRegistryTests.shown(denied))")
        #expect(seconds < 30, "took \(seconds) s")

        let report = try Self.run(arguments + ["--output", "json"], in: dir).result
        #expect(report.status == 1, "\(HostileRegistryTests.shown(report))")
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stdout)")
        let decision = try #require(parsed["policy"] as? [String: Any], "\(report.stdout)")
        #expect(decision["allowed"] as? Bool == false && decision["decision"] as? String == "deny", "\(decision)")
        #expect((decision["satisfied"] as? [Any])?.isEmpty == true, "\(decision)")

        try trusting("p256.pub")
        let allowed = try Self.run(arguments, in: dir).result
        #expect(allowed.status == 0, "\(HostileRegistryTests.shown(allowed))")
        #expect(allowed.stdout.hasPrefix("ALLOW  oci:layout:amd64"), "\(HostileRegistryTests.shown(allowed))")
    }

    // MARK: An index bomb

    /// An OCI layout made by hand in `dir/bomb`: one small image (config and one layer), an
    /// index listing its manifest 300 times, an index listing that index 300 times, and a third
    /// listing the second 300 times, tagged `bomb`: 27 million listings in 6 blobs. Returns the
    /// digests of the four manifests, image first.
    static func indexBomb(in dir: String) throws -> [String] {
        let layout = try HandLayout(at: "\(dir)/bomb")
        func blob(_ text: String) throws -> String { try layout.blob(text) }
        func descriptor(_ mediaType: String, _ digest: String, _ text: String, _ extra: String = "") -> String {
            #"{"mediaType":"\#(mediaType)","digest":"\#(digest)","size":\#(text.utf8.count)\#(extra)}"#
        }
        let indexType = "application/vnd.oci.image.index.v1+json"
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
        let layer = "one small layer\n"
        let configDigest = try blob(config)
        let layerDigest = try blob(layer)
        var text = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":\(descriptor("application/vnd.oci.image.config.v1+json", configDigest, config)),\
            "layers":[\(descriptor("application/vnd.oci.image.layer.v1.tar", layerDigest, layer))]}
            """
        var mediaType = "application/vnd.oci.image.manifest.v1+json"
        let imageDigest = try blob(text)
        var digests = [imageDigest]
        for _ in 0..<3 {
            let child = descriptor(mediaType, digests.last!, text)
            text = #"{"schemaVersion":2,"mediaType":"\#(indexType)","manifests":["# + Array(repeating: child, count: 300).joined(separator: ",") + "]}"
            mediaType = indexType
            let indexDigest = try blob(text)
            digests.append(indexDigest)
        }
        let tagged = descriptor(indexType, digests.last!, text, #","annotations":{"org.opencontainers.image.ref.name":"bomb"}"#)
        try layout.index([tagged])
        return digests
    }

    /// `inspect` counts every listing, and refuses the bomb by count (exit 3) without printing a
    /// partial tree; `sign --recursive` reads each manifest once, so it signs the four there are
    /// and finishes; `verify-content` re-hashes the six blobs; the index's signature verifies.
    @Test func anIndexBombIsRefusedByInspectAndSignRecursive() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let digests = try Self.indexBomb(in: dir)
        let key = try Self.run(["key", "generate", "--output-prefix", "k", "--algorithm", "ecdsa-p256"], in: dir).result
        try #require(key.status == 0, "\(HostileRegistryTests.shown(key))")

        let (inspected, inspectSeconds) = try Self.run(["inspect", "oci:bomb:bomb"], in: dir, timeout: 60)
        #expect(inspected.status == 3, "\(HostileRegistryTests.shown(inspected))")
        #expect(inspected.stderr.contains("more than 10000 descriptors"), "\(HostileRegistryTests.shown(inspected))")
        #expect(inspected.stdout.isEmpty, "a partial tree was printed: \(inspected.stdout.prefix(500))")
        #expect(inspectSeconds < 20, "took \(inspectSeconds) s")
        if ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil {
            #expect(inspected.maxRSSKiB < HostileInputTests.memoryCeilingKiB, "peaked at \(inspected.maxRSSKiB) KiB")
        }

        let (signed, signSeconds) = try Self.run(["sign", "--recursive", "oci:bomb:bomb", "--key", "k.key"], in: dir, timeout: 90)
        #expect(signed.status == 0, "\(HostileRegistryTests.shown(signed))")
        let lines = signed.stdout.split(separator: "\n").filter { $0.hasPrefix("signed sha256:") }
        #expect(lines.count == 4, "\(HostileRegistryTests.shown(signed))")
        #expect(Set(lines.map { String($0.split(separator: " ")[1]) }) == Set(digests), "\(HostileRegistryTests.shown(signed))")
        #expect(signSeconds < 30, "took \(signSeconds) s")

        let (content, contentSeconds) = try Self.run(["verify-content", "oci:bomb:bomb"], in: dir, timeout: 60)
        #expect(content.status == 0, "\(HostileRegistryTests.shown(content))")
        #expect(content.stdout.contains("verified 6 blobs"), "\(HostileRegistryTests.shown(content))")
        #expect(contentSeconds < 30, "took \(contentSeconds) s")
        let verified = try Self.run(["verify", "oci:bomb:bomb", "--key", "k.pub"], in: dir).result
        #expect(verified.status == 0, "\(HostileRegistryTests.shown(verified))")
    }

    // MARK: A policy of nested aliases

    /// 533 bytes of YAML: nine levels of anchors, each a list of ten aliases of the level below,
    /// which would expand to 10^9 nodes.
    static let aliasBomb: String = {
        var lines = ["version: 1", "x0: &a0 [" + Array(repeating: "x", count: 10).joined(separator: ", ") + "]"]
        for level in 1..<9 {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("rules: *a8")
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The alias bomb is refused at load by its expanded node count (exit 3), at once and in
    /// bounded memory, and nothing is decided.
    @Test func aPolicyOfNestedAliasesIsRefusedFast() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(Self.aliasBomb.utf8.count < 1024)
        try Self.aliasBomb.write(toFile: "\(dir)/bomb.yaml", atomically: true, encoding: .utf8)
        let layout = try ImageFixtures.get().path("layout")
        let image = "oci:\(layout):amd64"

        let (checked, seconds) = try Self.run(["policy", "check", "--policy", "bomb.yaml", image], in: dir, timeout: 60)
        #expect(checked.status == 3, "\(HostileRegistryTests.shown(checked))")
        #expect(checked.stderr.contains("bomb.yaml") && checked.stderr.contains("more than 100000 YAML nodes"), "\(HostileRegistryTests.shown(checked))")
        #expect(checked.stdout.isEmpty, "\(HostileRegistryTests.shown(checked))")
        #expect(seconds < 10, "took \(seconds) s")
        if ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil {
            #expect(checked.maxRSSKiB < HostileInputTests.memoryCeilingKiB, "peaked at \(checked.maxRSSKiB) KiB")
        }
    }

    /// A running `bulla serve` whose policy file becomes the alias bomb refuses the change once
    /// (counted and logged), keeps answering with the policy in force and stays ready. A good
    /// change afterwards is loaded, so the reload was really watched.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no server"))
    func aRunningWebhookKeepsItsPolicyWhenItBecomesAnAliasBomb() throws {
        let base = try AdmissionHardeningTests.workspace()
        let dir = "\(base)/aliases-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let policy = "\(dir)/policy.yaml"
        func policyText(noMatch: String) -> String {
            """
            version: 1
            noMatch: \(noMatch)
            rules:
              - name: docker-hub
                images: ["docker.io/library/**"]
                keys: ["\(base)/other.pub"]

            """
        }
        try policyText(noMatch: "allow").write(toFile: policy, atomically: true, encoding: .utf8)
        let webhook = try Webhook(policy: policy, in: base, arguments: ["--reload-interval", "100ms"])
        defer { webhook.stop() }
        // No rule matches this image, so noMatch decides and no registry is asked.
        let pod: [String: Any] = ["kind": "Pod", "images": ["registry.example/app:1"]]
        func metric(_ result: String) throws -> Double { try webhook.metrics()["bulla_policy_reloads_total{result=\"\(result)\"}"] ?? 0 }

        let first = try webhook.review([pod])[0]
        #expect(AdmissionTests.response(first)["allowed"] as? Bool == true, "\(first)")
        let ready = try webhook.get("/readyz")
        #expect(ready.status == 200, "\(ready)")

        try Self.aliasBomb.write(toFile: policy, atomically: true, encoding: .utf8)
        let start = Date()
        var reloads = try webhook.metrics().filter { $0.key.hasPrefix("bulla_policy_reloads_total") }
        while (reloads["bulla_policy_reloads_total{result=\"refused\"}"] ?? 0) == 0 && Date().timeIntervalSince(start) < 10 {
            Thread.sleep(forTimeInterval: 0.1)
            reloads = try webhook.metrics().filter { $0.key.hasPrefix("bulla_policy_reloads_total") }
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(reloads["bulla_policy_reloads_total{result=\"refused\"}"] == 1, "\(reloads)")
        #expect(seconds < 10, "refused after \(seconds) s")

        let kept = try webhook.review([pod])[0]
        #expect(kept["status"] as? Int == 200 && AdmissionTests.response(kept)["allowed"] as? Bool == true, "\(kept)")
        #expect((kept["ms"] as? Double ?? 1e9) < 5000, "\(kept)")
        let stillReady = try webhook.get("/readyz")
        #expect(stillReady.status == 200 && stillReady.body == ready.body, "\(stillReady)")
        let refused = webhook.logLines().filter { $0["message"] as? String == "policy change refused; the policy in force stays" }
        #expect(refused.count == 1 && (refused.first?["reason"] as? String ?? "").contains("more than 100000 YAML nodes"), "\(refused)")
        // Later intervals see the same refused file: it is not reloaded, counted or logged again.
        Thread.sleep(forTimeInterval: 0.5)
        let refusedLater = try metric("refused"), loadedLater = try metric("ok")
        #expect(refusedLater == 1 && loadedLater == 0, "refused \(refusedLater), ok \(loadedLater)")

        try policyText(noMatch: "deny").write(toFile: policy, atomically: true, encoding: .utf8)
        var after: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(10)
        repeat {
            Thread.sleep(forTimeInterval: 0.1)
            after = try webhook.review([pod])[0]
        } while AdmissionTests.response(after)["allowed"] as? Bool != false && Date() < deadline
        #expect(AdmissionTests.response(after)["allowed"] as? Bool == false, "\(after)")
        #expect(AdmissionTests.message(after).contains("noMatch is deny"), "\(after)")
        #expect(try metric("ok") == 1)
        let readyAfterChange = try webhook.get("/readyz")
        #expect(readyAfterChange.status == 200 && readyAfterChange.body != ready.body, "\(readyAfterChange)")
    }

    // MARK: A log whose state was edited

    /// Every file under `root`, by relative path, with its bytes.
    static func snapshot(_ root: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(path)"))
            }
        }
        return files
    }

    /// One hex digit of the first subtree hash in `state` changed: `log verify` names the state
    /// (exit 1), and neither `log append` nor `log checkpoint` extends a tree its tiles do not
    /// give (exit 1, "cannot be proven"). Nothing in the log changed: with the state put back,
    /// every file is as it was and the log audits with its 300 entries.
    @Test func aLogWhoseStateTheTilesDoNotProveIsRefused() throws {
        let dir = try LogInteropTests.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try Self.snapshot("\(dir)/lg")
        let statePath = "\(dir)/lg/state"
        let state = try String(contentsOfFile: statePath, encoding: .utf8)
        let hashes = try #require(state.range(of: #""hashes":[""#), "\(state)")
        let at = hashes.upperBound
        try #require(state[at].isHexDigit, "\(state)")
        let flipped: String = state[at] == "0" ? "1" : "0"
        let edited = state.replacingCharacters(in: at...at, with: flipped)
        try Data(edited.utf8).write(to: URL(fileURLWithPath: statePath))

        let (verified, verifySeconds) = try Self.run(["log", "verify", "lg", "--log-key", "lg/log.pub"], in: dir, timeout: 60)
        #expect(verified.status == 1, "\(HostileRegistryTests.shown(verified))")
        #expect(verified.stderr.contains("lg/state differs from the tree its entries give (300 entries")
                && verified.stderr.contains("the state cannot be proven"), "\(HostileRegistryTests.shown(verified))")
        #expect(verifySeconds < 30, "took \(verifySeconds) s")

        try Data(#"{"kind":"entry","n":301}"#.utf8).write(to: URL(fileURLWithPath: "\(dir)/entry.json"))
        let (appended, appendSeconds) = try Self.run(["log", "append", "lg", "entry.json"], in: dir, timeout: 60)
        #expect(appended.status == 1, "\(HostileRegistryTests.shown(appended))")
        #expect(appended.stderr.contains("lg/state holds subtree hash") && appended.stderr.contains("cannot be proven")
                && appended.stderr.contains("the log is not written"), "\(HostileRegistryTests.shown(appended))")
        #expect(appended.stdout.isEmpty, "an entry was acknowledged: \(appended.stdout)")
        #expect(appendSeconds < 30, "took \(appendSeconds) s")

        let checkpoint = try Self.run(["log", "checkpoint", "lg"], in: dir, timeout: 60).result
        #expect(checkpoint.status == 1 && checkpoint.stderr.contains("cannot be proven"), "\(HostileRegistryTests.shown(checkpoint))")

        try Data(state.utf8).write(to: URL(fileURLWithPath: statePath))
        #expect(try Self.snapshot("\(dir)/lg") == before, "the refused commands changed the log")
        let audit = try Self.run(["log", "verify", "lg", "--log-key", "lg/log.pub"], in: dir).result
        #expect(audit.status == 0 && audit.stdout.contains("verified lg: 300 entries"), "\(HostileRegistryTests.shown(audit))")
    }
}
