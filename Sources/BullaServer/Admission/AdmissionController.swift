import Bulla
import BullaCrypto
import BullaRegistry
import Dispatch
import Logging
import Synchronization

/// How long answers are kept and how long a review may take.
public struct AdmissionSettings: Sendable {
    /// The whole review must be answered within this, below the webhook's `timeoutSeconds`;
    /// an image not verified by then is denied.
    public var deadline: Duration = .seconds(8)
    /// How long an image allowed under a policy stays allowed without verifying again.
    public var allowTTL: Duration = .seconds(300)
    /// How long a denial is kept; short, so a signature pushed after a denial is soon seen.
    public var denyTTL: Duration = .seconds(30)
    /// How long a tag is taken to point at the digest last read for it.
    public var tagTTL: Duration = .seconds(30)
    /// The most decisions, and the most tag-to-digest answers, kept in memory at once (each cache).
    public var cacheCapacity = 16_384

    /// The defaults: an 8 s deadline, allows kept 5 min, denials and tags 30 s.
    public init() {}
}

/// Which decision can be reused: the same image (repository and digest) under the same policy
/// file, matched by the same rules (which is all the reference and namespace decide).
struct DecisionKey: Hashable, Sendable {
    var policy: Digest
    var repository: String
    var digest: Digest
    var rules: [String]
}

/// Answers AdmissionReview requests: finds every image of the workload, judges each in
/// parallel by the policy in force (from the cache when it was proven before), records the
/// decision, and denies whenever anything could not be shown allowed.
public final class AdmissionController: Sendable {
    /// The policy in force, reloaded by the server when its file or key files change.
    public let policies: PolicyStore
    /// Where images and their signatures are read: the registries, or an air-gapped mirror.
    public let store: ImageStore
    /// The counters and histograms `/metrics` reports for this controller's reviews.
    public let metrics: AdmissionMetrics
    let settings: AdmissionSettings
    let decisionLog: DecisionLog?
    let logger: Logger
    private let decisions: SharedCache<DecisionKey, PolicyDecision>
    private let tags: SharedCache<String, Digest>

    /// Judges by `policies` with images from `store`; given a `decisionLog`, admits nothing unrecorded.
    public init(policies: PolicyStore, store: ImageStore, settings: AdmissionSettings = .init(), decisionLog: DecisionLog?,
                metrics: AdmissionMetrics = .init(), logger: Logger) {
        self.policies = policies
        self.store = store
        self.settings = settings
        self.decisionLog = decisionLog
        self.metrics = metrics
        self.logger = logger
        decisions = SharedCache(capacity: settings.cacheCapacity)
        tags = SharedCache(capacity: settings.cacheCapacity)
    }

    /// An HTTP answer: the status and the body.
    public struct Answer: Sendable {
        /// 200 for any review judged (allowed or not); 400 for a body that is not an AdmissionReview.
        public var status: Int
        /// The AdmissionReview response JSON, or the reason a body was refused.
        public var body: [UInt8]
    }

    /// Answers one review body posted to `/validate` (`mutate` false) or `/mutate`.
    public func answer(_ body: [UInt8], mutate: Bool) async -> Answer {
        let started = ContinuousClock.now
        let request: AdmissionRequest
        do {
            request = try AdmissionRequest(parsing: body)
        } catch {
            metrics.malformed.increment()
            let reason = BullaError.describe(error)
            logger.notice("refused a body that is not an AdmissionReview", metadata: ["reason": .string(reason)])
            return Answer(status: 400, body: Array(reason.utf8))
        }
        let endpoint = mutate ? "mutate" : "validate"
        let loaded = policies.loaded
        var response: AdmissionResponse
        var verdicts: [ImageVerdict] = []
        do {
            let images = try request.images()
            verdicts = await judge(images, namespace: request.namespace, policy: loaded, deadline: started + settings.deadline)
            response = Self.response(for: request, verdicts: verdicts, mutate: mutate)
        } catch {
            let reason = BullaError.describe(error)
            response = AdmissionResponse(uid: request.uid, allowed: false, message: "bulla: \(request.kind) \(request.namespace)/\(request.name) cannot be judged: \(reason)")
        }
        if let decisionLog {
            let entry = DecisionLog.entry(request, endpoint: endpoint, policy: loaded.digest, allowed: response.allowed, verdicts: verdicts)
            do {
                _ = try await decisionLog.record(entry)
            } catch {
                // Fail closed: what cannot be recorded is not admitted.
                metrics.logFailures.increment()
                logger.error("the decision log refused an entry", metadata: ["uid": .string(request.uid), "error": .string("\(error)")])
                response = AdmissionResponse(uid: request.uid, allowed: false, message: "bulla: the decision could not be recorded in the decision log: \(error)")
            }
        }
        if !response.allowed { metrics.denied.increment() } else if response.warnings.isEmpty { metrics.allowed.increment() } else { metrics.warned.increment() }
        (mutate ? metrics.mutateLatency : metrics.validateLatency).record(ContinuousClock.now - started)
        var metadata: Logger.Metadata = [
            "uid": .string(request.uid), "endpoint": .string(endpoint), "kind": .string(request.kind),
            "namespace": .string(request.namespace), "name": .string(request.name),
            "allowed": .stringConvertible(response.allowed),
            "images": .array(verdicts.map { .string("\($0.image.image) \($0.digest?.abbreviated ?? "-") \($0.allowed ? "allow" : "deny")") }),
        ]
        if let reason = response.message { metadata["reason"] = .string(reason) }
        if !response.warnings.isEmpty { metadata["warnings"] = .array(response.warnings.map { .string($0) }) }
        logger.info("admission decision", metadata: metadata)
        return Answer(status: 200, body: response.review(apiVersion: request.apiVersion))
    }

    /// The response for judged images: denied if any is, with every reason; on `/mutate`, each
    /// allowed image named by tag is pinned to the digest that was verified.
    static func response(for request: AdmissionRequest, verdicts: [ImageVerdict], mutate: Bool) -> AdmissionResponse {
        let allowed = verdicts.allSatisfy(\.allowed)
        let warnings = verdicts.flatMap { verdict in verdict.warnings.map { "\(verdict.subject): \($0)" } }
        guard allowed else {
            let reasons = verdicts.filter { !$0.allowed }.map { verdict in "\(verdict.subject): " + verdict.denials.joined(separator: "; ") }
            let what = "\(request.kind) \(request.namespace.isEmpty ? "" : request.namespace + "/")\(request.name)"
            return AdmissionResponse(uid: request.uid, allowed: false, message: "bulla denied \(what): " + reasons.joined(separator: " | "), warnings: warnings)
        }
        var patch: [JSONValue] = []
        if mutate {
            for verdict in verdicts {
                guard let digest = verdict.digest, !verdict.image.image.contains("@") else { continue }
                patch.append(.object([
                    ("op", .string("replace")), ("path", .string(verdict.image.pointer)),
                    ("value", .string("\(verdict.image.image)@\(digest)")),
                ]))
            }
        }
        return AdmissionResponse(uid: request.uid, allowed: true, warnings: warnings, patch: patch.isEmpty ? nil : .array(patch))
    }

    /// Judges every image at once; each has until `deadline`. Images whose decision is cached
    /// are answered in place; only the others get a task.
    func judge(_ images: [ContainerImage], namespace: String, policy: PolicyStore.Loaded, deadline: ContinuousClock.Instant) async -> [ImageVerdict] {
        let triaged = images.map { triage($0, namespace: namespace, policy: policy) }
        var verdicts = triaged.map { found -> ImageVerdict? in
            if case .known(let verdict) = found { return verdict }
            return nil
        }
        guard verdicts.contains(where: { $0 == nil }) else { return verdicts.map { $0! } }
        await withTaskGroup(of: (Int, ImageVerdict).self) { group in
            for (index, found) in triaged.enumerated() {
                guard case .unknown(let reference, let rules) = found else { continue }
                group.addTask {
                    (index, await self.verify(images[index], reference: reference, rules: rules, namespace: namespace, policy: policy, deadline: deadline))
                }
            }
            for await (index, verdict) in group { verdicts[index] = verdict }
        }
        return verdicts.map { $0! }
    }

    /// What is known of an image before anything is read: its verdict (its reference does not
    /// parse, no rule matches it, or its digest and the decision for it are cached), or the
    /// reference and the rules its verification must satisfy.
    private enum Triage {
        case known(ImageVerdict)
        case unknown(RegistryReference, [Policy.Rule])
    }

    private func triage(_ image: ContainerImage, namespace: String, policy: PolicyStore.Loaded) -> Triage {
        let reference: RegistryReference
        do {
            reference = try RegistryReference(parsing: image.image)
        } catch {
            return .known(ImageVerdict(image: image, reference: nil, rules: [], failure: "not an image reference: \(BullaError.describe(error))"))
        }
        let name = reference.description
        let rules = policy.policy.rules(matching: name, namespace: namespace)
        guard !rules.isEmpty else {
            // noMatch decides; nothing needs reading.
            let decision = PolicyEvaluator(policy: policy.policy).noMatch(reference: name, namespace: namespace)
            return .known(ImageVerdict(image: image, reference: name, decision: decision))
        }
        guard let digest = reference.digest ?? tags.cached(name), let decision = decisions.cached(key(reference, rules, digest, policy)) else {
            return .unknown(reference, rules)
        }
        metrics.count(.hit)
        return .known(ImageVerdict(image: image, reference: name, decision: decision))
    }

    private func key(_ reference: RegistryReference, _ rules: [Policy.Rule], _ digest: Digest, _ policy: PolicyStore.Loaded) -> DecisionKey {
        DecisionKey(policy: policy.digest, repository: reference.name, digest: digest, rules: rules.map(\.name))
    }

    /// Verifies one image matched by `rules`: the digest its reference names now, and the
    /// decision for that digest, shared with any verification of it already under way.
    private func verify(
        _ image: ContainerImage, reference: RegistryReference, rules: [Policy.Rule], namespace: String, policy: PolicyStore.Loaded,
        deadline: ContinuousClock.Instant
    ) async -> ImageVerdict {
        let started = ContinuousClock.now
        defer { metrics.imageLatency.record(ContinuousClock.now - started) }
        let name = reference.description
        let key = { @Sendable (digest: Digest) in self.key(reference, rules, digest, policy) }
        let outcome = await Deadline.run(until: deadline) { () async throws -> (PolicyDecision, SharedCache<DecisionKey, PolicyDecision>.Source) in
            let digest = try await self.digest(of: reference)
            let (allowTTL, denyTTL) = (UInt64(self.settings.allowTTL.nanoseconds), UInt64(self.settings.denyTTL.nanoseconds))
            return try await self.decisions.value(for: key(digest), lifetime: { $0.allowed ? allowTTL : denyTTL }) {
                try await Blocking.run {
                    try self.registryDeadline(until: deadline).applies {
                        let source = try self.store.source(for: reference.pinned(to: digest))
                        if reference.digest != nil { _ = try self.store.digest(of: reference, in: source) }
                        return try Verifier().decide(ImageSubject(source: source, digest: digest, name: name), policy: policy.policy, namespace: namespace)
                    }
                }
            }
        }
        switch outcome {
        case .finished(let (decision, source)):
            metrics.count(source)
            return ImageVerdict(image: image, reference: name, decision: decision)
        case .failed(let error):
            metrics.verificationErrors.increment()
            let reason = BullaError.describe(error)
            return ImageVerdict(image: image, reference: name, rules: rules, failure: "cannot be verified: \(reason)")
        case .timedOut:
            metrics.deadlines.increment()
            return ImageVerdict(
                image: image, reference: name, rules: rules,
                failure: "verification did not finish within the \(settings.deadline.nanoseconds / 1_000_000) ms deadline")
        }
    }

    /// The digest `reference` names: its own, or its tag's (kept for the tag TTL).
    func digest(of reference: RegistryReference) async throws -> Digest {
        if let digest = reference.digest { return digest }
        let ttl = UInt64(settings.tagTTL.nanoseconds)
        return try await tags.value(for: reference.description, lifetime: { _ in ttl }) {
            try await Blocking.run {
                try self.registryDeadline(until: .now + self.settings.deadline).applies {
                    let source = try self.store.source(for: reference)
                    return try self.store.digest(of: reference, in: source)
                }
            }
        }.0
    }

    /// How long after a review's deadline its registry requests are cut (see `registryDeadline`).
    static let registryGrace = Duration.milliseconds(200)

    /// The review's deadline over the registry requests made for it, so a registry that
    /// drips its answer frees the thread when the review is denied, not minutes later. The
    /// requests are cut `registryGrace` after the review's own deadline, so that deadline
    /// always answers first (a deadline denial, counted) rather than racing requests cut at the
    /// same instant into an ordinary denial of unreadable signatures.
    private func registryDeadline(until deadline: ContinuousClock.Instant) -> RegistryDeadline {
        RegistryDeadline(remaining: deadline - .now + Self.registryGrace, name: "the review's \(settings.deadline.components.seconds * 1000 + settings.deadline.components.attoseconds / 1_000_000_000_000_000) ms deadline")
    }

    /// Forgets every cached decision. After a policy change the old decisions are never asked
    /// for again (their keys name the old policy); this frees them at once. Tags name the same
    /// digests whatever the policy, so their cache stays.
    public func forgetDecisions() {
        decisions.removeAll()
    }
}
