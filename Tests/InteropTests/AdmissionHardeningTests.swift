import Foundation
import Testing

/// `bulla serve` against what an attacker can put in front of it: workloads of the wrong shape
/// for their kind, registry hosts spelt so as to miss a rule, and a key file replaced under a
/// cached allow. Each is denied with its reason, under a policy whose `noMatch: allow` would
/// otherwise let it through, and the server goes on answering.
///
/// Reviews of the wrong shape are built here as raw JSON, since the Kubernetes client's models
/// (Tests/Fixtures/admission.py) refuse to make them; well-formed ones go through admission.py.
///
/// Not in the AddressSanitizer pass, whose build has no server.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no server"))
struct AdmissionHardeningTests {
    /// A directory with a serving certificate, an ed25519 key nothing was signed with
    /// (`other.pub`) and `hub.yaml`: Docker Hub's official images must be signed by that key,
    /// and anything no rule matches is allowed.
    static let shared: Result<String, any Error> = Result {
        let dir = try KeyInteropTests.scratch()
        _ = try Webhook.certificates(in: dir)
        let made = try Peers.bulla("key", "generate", "--output-prefix", "other", "--algorithm", "ed25519", in: dir)
        guard made.status == 0 else { throw ServerFailed(message: "key generate: \(made.stderr)") }
        try AdmissionHardeningTests.hubPolicy.write(toFile: "\(dir)/hub.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    static func workspace() throws -> String { try shared.get() }

    static let hubPolicy = """
        version: 1
        noMatch: allow
        rules:
          - name: docker-hub
            images: ["docker.io/library/**"]
            keys: [other.pub]

        """

    // MARK: Raw reviews

    /// An admission.k8s.io/v1 review of `object` (JSON text; nil leaves `object` out) as the API
    /// server shapes it, for `web` in `default`.
    static func review(kind: String, object: String?, operation: String = "CREATE") throws -> [String: Any] {
        let (group, resource) = kind == "Deployment" ? ("apps", "deployments") : ("", "pods")
        let gvk: [String: Any] = ["group": group, "version": "v1", "kind": kind]
        let gvr: [String: Any] = ["group": group, "version": "v1", "resource": resource]
        var request: [String: Any] = [
            "uid": UUID().uuidString.lowercased(), "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
            "name": "web", "namespace": "default", "operation": operation,
            "userInfo": ["username": "kubernetes-admin", "groups": ["system:authenticated"]] as [String: Any],
            "dryRun": false,
        ]
        if let object { request["object"] = try JSONSerialization.jsonObject(with: Data(object.utf8)) }
        return ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request]
    }

    /// POSTs `review` to `endpoint` over TLS (curl, checking the certificate) and returns what
    /// admission.py's results hold: `status`, and `review` when the answer is JSON (so
    /// AdmissionTests.response and .message read it), with the raw `text`.
    static func post(_ review: [String: Any], to webhook: Webhook, endpoint: String) throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: review)
        let answer = try Command.run(
            ["curl", "-s", "--cacert", webhook.ca, "-H", "Content-Type: application/json", "--data-binary", "@-",
             "-w", "\n%{http_code}", "\(webhook.url)/\(endpoint)"],
            stdinData: body)
        let lines = answer.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let text = lines.dropLast().joined(separator: "\n")
        var result: [String: Any] = ["status": Int(lines.last ?? "") ?? 0, "text": text]
        if let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) { result["review"] = parsed }
        return result
    }

    static func pod(_ spec: String) -> String {
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":\#(spec)}"#
    }

    struct WrongShape: Sendable, CustomTestStringConvertible {
        let name: String
        let kind: String
        /// The object as JSON text; nil sends a CREATE review without one.
        let object: String?
        /// What the denial must say.
        let fragment: String
        var testDescription: String { name }
    }

    static let wrongShapes: [WrongShape] = [
        WrongShape(name: "a Pod whose spec is a string", kind: "Pod", object: AdmissionHardeningTests.pod(#""x""#), fragment: "/spec is not an object"),
        WrongShape(name: "a Pod with an empty container list", kind: "Pod", object: AdmissionHardeningTests.pod(#"{"containers":[]}"#), fragment: "lists no containers"),
        WrongShape(
            name: "a Pod with only init containers", kind: "Pod",
            object: AdmissionHardeningTests.pod(#"{"initContainers":[{"name":"init","image":"registry.example/app:1"}]}"#), fragment: "lists no containers"),
        WrongShape(
            name: "a Deployment whose template is a list", kind: "Deployment",
            object: #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":[]}}"#,
            fragment: "/spec/template is not an object"),
        WrongShape(
            name: "a Pod whose container is a string", kind: "Pod", object: AdmissionHardeningTests.pod(#"{"containers":["registry.example/app:1"]}"#),
            fragment: "/spec/containers/0 is not an object"),
        WrongShape(
            name: "a Pod whose image is a number", kind: "Pod", object: AdmissionHardeningTests.pod(#"{"containers":[{"name":"app","image":5}]}"#),
            fragment: "names no image"),
        WrongShape(name: "a CREATE review with no object", kind: "Pod", object: nil, fragment: "carries no object"),
    ]

    // MARK: Tests

    /// What cannot be read is not "no images": before the fix each of these was allowed by
    /// `noMatch: allow`. Now both endpoints deny it, with the reason, as a decision (HTTP 200).
    @Test(arguments: wrongShapes)
    func workloadsOfTheWrongShapeAreDenied(_ shape: WrongShape) throws {
        let dir = try Self.workspace()
        let webhook = try Webhook(policy: "\(dir)/hub.yaml", in: dir)
        defer { webhook.stop() }
        // The same server allows a well-formed pod no rule matches: only the shape can deny.
        let control = try Self.post(
            try Self.review(kind: "Pod", object: Self.pod(#"{"containers":[{"name":"app","image":"registry.example/app:1"}]}"#)),
            to: webhook, endpoint: "validate")
        #expect(control["status"] as? Int == 200 && AdmissionTests.response(control)["allowed"] as? Bool == true, "\(control)")

        for endpoint in ["validate", "mutate"] {
            let review = try Self.review(kind: shape.kind, object: shape.object)
            let result = try Self.post(review, to: webhook, endpoint: endpoint)
            let response = AdmissionTests.response(result)
            #expect(result["status"] as? Int == 200, "\(endpoint): \(result)")
            #expect(response["uid"] as? String == (review["request"] as? [String: Any])?["uid"] as? String, "\(endpoint): \(result)")
            #expect(response["allowed"] as? Bool == false, "\(endpoint): \(result)")
            #expect(response["patch"] == nil, "\(endpoint): \(result)")
            let message = AdmissionTests.message(result)
            #expect(message.hasPrefix("bulla: \(shape.kind) default/web cannot be judged: "), "\(endpoint): \(message)")
            #expect(message.contains(shape.fragment), "\(endpoint): \(message)")
        }

        #expect(try webhook.get("/healthz").status == 200)
        let metrics = try webhook.metrics()
        #expect(metrics["bulla_admission_decisions_total{result=\"allow\"}"] == 1, "\(metrics.filter { $0.key.contains("admission") })")
        #expect(metrics["bulla_admission_decisions_total{result=\"deny\"}"] == 2, "\(metrics.filter { $0.key.contains("admission") })")
        // A review of a malformed workload is a decision, not a body refused with 400.
        #expect((metrics["bulla_admission_malformed_requests_total"] ?? 0) == 0)
    }

    static let hubSpellings = [
        "docker.io/library/nginx:1.25",
        "DOCKER.IO/library/nginx:1.25",
        "docker.io:443/library/nginx:1.25",
        "registry-1.docker.io/library/nginx:1.25",
        "index.docker.io:443/library/nginx:1.25",
        "registry.hub.docker.com/library/nginx:1.25",
        "nginx:1.25",
    ]

    /// Every spelling of Docker Hub meets the rule written for `docker.io/library/**`, so it is
    /// verified (and denied: other.pub signed nothing, and this machine cannot reach Docker Hub,
    /// so the reason is the rule's, the registry's or the deadline's), never allowed by
    /// `noMatch`. Another host, in the same review run, is allowed by `noMatch`.
    @Test(arguments: hubSpellings)
    func registryHostSpellingsCannotEscapeARule(_ image: String) throws {
        let dir = try Self.workspace()
        let webhook = try Webhook(policy: "\(dir)/hub.yaml", in: dir, arguments: ["--deadline", "1500ms"])
        defer { webhook.stop() }
        let results = try webhook.review([
            ["case": "elsewhere", "kind": "Pod", "images": ["registry.example/library/nginx:1.25"]],
            ["case": "hub", "kind": "Pod", "images": [image]],
        ])
        #expect(results.allSatisfy { $0["status"] as? Int == 200 }, "\(results)")
        #expect(AdmissionTests.response(results[0])["allowed"] as? Bool == true, "\(results[0])")

        #expect(AdmissionTests.response(results[1])["allowed"] as? Bool == false, "\(image): \(results[1])")
        let message = AdmissionTests.message(results[1])
        #expect(message.hasPrefix("bulla denied Pod default/web: image \(image) (container app-0): "), "\(message)")
        #expect(message.contains("rule \"docker-hub\"") || message.contains("cannot be verified")
                || message.contains("did not finish within the 1500 ms deadline"), "\(message)")
        #expect(!message.contains("noMatch"), "\(message)")

        #expect(try webhook.get("/healthz").status == 200)
    }

    /// The policy names its key by file; replacing that file's key (the policy untouched) is a
    /// policy change: the allow cached under the old key is dropped, and the image, signed only
    /// by the old key, is denied within a few reload intervals.
    @Test func replacingAKeyFileRevokesTheOldKey() throws {
        let f = try AdmissionTests.fixture()
        let base = try Self.workspace()
        let dir = "\(base)/revoke-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let trusted = "\(dir)/trusted.pub"
        // ed.key signed adm/signed.
        try FileManager.default.copyItem(atPath: "\(f.dir)/ed.pub", toPath: trusted)
        let policy = "\(dir)/policy.yaml"
        try """
            version: 1
            noMatch: deny
            rules:
              - name: trusted-file
                images: ["\(f.host)/adm/**"]
                keys: [trusted.pub]

            """.write(toFile: policy, atomically: true, encoding: .utf8)
        let policyBytes = try Data(contentsOf: URL(fileURLWithPath: policy))
        let webhook = try Webhook(policy: policy, in: base, arguments: ["--insecure", "--reload-interval", "200ms"])
        defer { webhook.stop() }
        let pod: [String: Any] = ["kind": "Pod", "images": [f.image("adm/signed")]]

        // Allowed, the second time from the cache.
        let before = try webhook.review([pod, pod])
        #expect(before.allSatisfy { AdmissionTests.response($0)["allowed"] as? Bool == true }, "\(before)")
        #expect(try webhook.metrics()["bulla_decision_cache_total{result=\"hit\"}"] == 1)

        // Another key in the file, by rename, so no reload reads it half written.
        try Data(contentsOf: URL(fileURLWithPath: "\(base)/other.pub")).write(to: URL(fileURLWithPath: trusted), options: .atomic)
        var after: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(10)
        repeat {
            Thread.sleep(forTimeInterval: 0.2)
            after = try webhook.review([pod])[0]
        } while AdmissionTests.response(after)["allowed"] as? Bool != false && Date() < deadline

        #expect(AdmissionTests.response(after)["allowed"] as? Bool == false, "still allowed 10 s after the key file changed: \(after)")
        let message = AdmissionTests.message(after)
        #expect(message.contains("image \(f.image("adm/signed")) (container app-0)") && message.contains("rule \"trusted-file\"")
                && message.contains("image signatures: 0 of 1 required trusted key(s) signed"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: policy)) == policyBytes, "the policy file was not touched")
        let metrics = try webhook.metrics()
        #expect(metrics["bulla_policy_reloads_total{result=\"ok\"}"] == 1, "\(metrics.filter { $0.key.contains("reload") })")
        #expect((metrics["bulla_policy_reloads_total{result=\"refused\"}"] ?? 0) == 0)
        #expect(webhook.logLines().contains { $0["message"] as? String == "policy reloaded" }, "\(webhook.logLines())")
        #expect(try webhook.get("/healthz").status == 200)
    }

    /// A referrer whose attestation layer declares 2^50 bytes, pushed to the real registry:
    /// the webhook reads no more than an attestation may hold, denies with the reason, and
    /// keeps serving (one push used to stop every pod creation it judged).
    @Test func aLyingReferrerSizeIsDeniedNotAllocated() throws {
        let (pushedDir, host, fresh, digest, _) = try HostileRegistryTests.pushLying(Int64(1) << 50, into: "lying-hook/app")
        let message = try Self.deniedOnce("\(host)/\(fresh)@\(digest)", rules: """
              - name: sbom
                images: ["\(host)/lying-hook/**"]
                attestations:
                  - type: spdxjson
                    keys: ["\(pushedDir)/p256.pub"]
            """)
        #expect(message.contains("rule \"sbom\"") && message.contains("attestation by 1 trusted key(s)") && message.contains("1125899906842624 bytes"), "\(message)")
    }

    /// Starts a webhook on a policy of `rules`, asks it about one pod running `image`, and
    /// returns the denial's message; the server must have denied it and still be serving.
    static func deniedOnce(_ image: String, rules: String) throws -> String {
        let dir = try workspace()
        let policy = "\(dir)/policy-\(UUID().uuidString).yaml"
        try "version: 1\nrules:\n\(rules)\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let webhook = try Webhook(policy: policy, in: dir, arguments: ["--insecure"])
        defer { webhook.stop() }
        let results = try webhook.review([["kind": "Pod", "images": [image]]])
        #expect(AdmissionTests.response(results[0])["allowed"] as? Bool == false, "\(results)")
        #expect(try webhook.get("/healthz").status == 200)
        return AdmissionTests.message(results[0])
    }

    /// A registry that redirects to another scheme: the review is denied naming the redirect,
    /// and the server keeps serving.
    @Test func aRedirectToAnotherSchemeIsDenied() throws {
        let (_, repository, _) = try RegistryFaultTests.pushed.get()
        let proxy = try FaultProxy(upstream: try Registries.get().open, mode: "redirect", location: "file:///etc/passwd")
        let message = try Self.deniedOnce("\(proxy.address)/\(repository):1", rules: """
              - name: signed
                images: ["\(proxy.address)/**"]
                keys: [other.pub]
            """)
        #expect(message.contains("redirected") && message.contains("file"), "\(message)")
        #expect(!message.contains("root:"), "\(message)")
    }
}
