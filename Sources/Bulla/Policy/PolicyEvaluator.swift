import BullaCrypto

/// Judges an image by a ``Policy``: every rule that matches it must be met (rules in warn mode
/// only report); an image no rule matches gets the policy's `noMatch`. Each requirement of each
/// rule gives typed ``Finding``s, judged from verified evidence only.
public struct PolicyEvaluator: Sendable {
    /// The rules judged by, with the keys and trust settings they name.
    public let policy: Policy
    /// Seconds since the epoch: the time `maxAge` is measured to.
    public var now: Int

    /// An evaluator of `policy` measuring `maxAge` to `now` (tests pass a fixed time).
    public init(policy: Policy, now: Int = Timestamp.now) {
        self.policy = policy
        self.now = now
    }

    /// The decision for an image no rule matches (the policy's `noMatch`), or nil when a rule
    /// matches and evidence must be read: lets a caller decide without reading anything.
    public func unmatchedDecision(reference: String, namespace: String? = nil, digest: Digest? = nil) -> PolicyDecision? {
        guard policy.rules(matching: reference, namespace: namespace).isEmpty else { return nil }
        return noMatch(reference: reference, namespace: namespace, digest: digest)
    }

    /// The policy's `noMatch` decision for `reference`, for a caller that found no rule
    /// matching it (in `namespace`) already.
    public func noMatch(reference: String, namespace: String? = nil, digest: Digest? = nil) -> PolicyDecision {
        unmatched(reference, digest, Self.noRule(reference, namespace))
    }

    /// The decision for `reference` from `evidence`, verified per rule against the rule's keys.
    public func decide(reference: String, namespace: String? = nil, digest: Digest?, evidence: any PolicyEvidence) -> PolicyDecision {
        let rules = policy.rules(matching: reference, namespace: namespace)
        guard !rules.isEmpty else { return noMatch(reference: reference, namespace: namespace, digest: digest) }
        let findings = rules.flatMap { evaluate($0, evidence: evidence) }
        return PolicyDecision(reference: reference, digest: digest, rules: rules.map(\.name), findings: findings)
    }

    /// Why `noMatch` decided: no rule matches the image (in the namespace, when judged for one).
    static func noRule(_ reference: String, _ namespace: String?) -> String {
        "no rule matches \(reference)" + (namespace.map { " in namespace \($0)" } ?? "")
    }

    /// The decision for an image no rule applies to: the policy's `noMatch`.
    func unmatched(_ reference: String, _ digest: Digest?, _ why: String) -> PolicyDecision {
        let finding = Finding(
            rule: nil, mode: .enforce, requirement: .noMatch, outcome: policy.noMatch == .deny ? .failed : .met,
            message: "\(why); noMatch is \(policy.noMatch.rawValue)")
        return PolicyDecision(reference: reference, digest: digest, rules: [], findings: [finding])
    }

    /// The findings of one rule: its signature requirement, then each attestation requirement.
    func evaluate(_ rule: Policy.Rule, evidence: any PolicyEvidence) -> [Finding] {
        var findings: [Finding] = []
        if let trust = rule.signatures {
            let finding = { rule.finding(.signatures, $0, $1) }
            do {
                let result = try evidence.signatures(trustedBy: trust)
                findings.append(result.verified
                    ? finding(.met, "signed by " + Self.signers(result) + ", \(trust.threshold) required")
                    : finding(.failed, "image signatures: \(result.signersSatisfied) of \(trust.threshold) required trusted \(trust.signerNoun) signed" + Self.summary(result)))
            } catch {
                findings.append(finding(.failed, "image signatures cannot be verified: \(BullaError.describe(error))"))
            }
        }
        for requirement in rule.attestations {
            findings += judge(requirement, of: rule, evidence: evidence)
        }
        return findings
    }

    /// One attestation requirement of `rule`, judged from what `evidence` verifies.
    func judge(_ requirement: AttestationRequirement, of rule: Policy.Rule, evidence: any PolicyEvidence) -> [Finding] {
        let (failed, met): ([String], [String])
        do {
            (failed, met) = judge(try evidence.attestations(of: requirement.type, trustedBy: requirement.trust), requirement)
        } catch {
            (failed, met) = (["\(requirement.type) attestations cannot be verified: \(BullaError.describe(error))"], [])
        }
        let finding = { rule.finding(.attestations(requirement.type), $0, $1) }
        return failed.map { finding(.failed, $0) } + met.map { finding(.met, $0) }
    }

    /// Checks one required attestation type: enough trusted keys attested, recently enough, and
    /// what each verified attestation says meets the content rules. Every verified attestation is
    /// judged, so an old or second SBOM cannot hide a denied package.
    func judge(_ result: VerificationResult, _ requirement: AttestationRequirement) -> (failed: [String], met: [String]) {
        let type = requirement.type
        let verified = result.signatures.filter { $0.verified && $0.predicate != nil }
        guard result.verified, !verified.isEmpty else {
            return (["no \(type) attestation by \(requirement.trust.threshold) trusted key(s)" + Self.summary(result)], [])
        }
        var failed: [String] = []
        var stale: [String] = []
        // A key counts toward the threshold only through an attestation that meets every
        // requirement: trusted, of the type, fresh enough, and with content the rule allows.
        var keys: Set<String> = []
        var signingKeys: Set<String> = []
        var fresh = 0
        for check in verified {
            switch assess(check.predicate!, origin: check.origin, requirement) {
            case .stale(let why):
                stale.append(why)
            case .fresh(let violations):
                fresh += 1
                failed += violations
                // One private key is one signer, whichever certificate it came with.
                if violations.isEmpty, let signer = check.countedAs, let keyID = check.keyID, signingKeys.insert(keyID).inserted { keys.insert(signer) }
            }
        }
        guard fresh > 0 else { return (stale, []) }
        guard keys.count >= result.threshold else {
            return (failed + stale + ["\(keys.count) of \(result.threshold) required trusted \(requirement.trust.signerNoun) attested \(type) in a way that meets every requirement of the rule"], [])
        }
        let met = failed.isEmpty ? ["\(fresh) \(type) attestation(s) by \(keys.count) of the rule's trusted \(requirement.trust.signerNoun == "key(s)" ? "keys" : "signers") meet the rule"] : []
        return (failed, met)
    }

    /// One predicate against a requirement's age and content rules, whoever signed it.
    enum Assessment {
        /// Too old, from the future, or undated while the rule has a `maxAge`.
        case stale(String)
        /// Fresh enough; what the content rules found wrong (nothing when it meets them).
        case fresh([String])
    }

    func assess(_ predicate: RawJSON, origin: String, _ requirement: AttestationRequirement) -> Assessment {
        let type = requirement.type
        var sbom: SBOM?
        if requirement.readsPackages || requirement.maxAge != nil {
            sbom = try? SBOM(reading: predicate, what: "\(type) predicate", limits: .default)
        }
        if let maxAge = requirement.maxAge {
            guard let made = AttestationTime.made(predicate, sbom: sbom) else {
                return .stale("the \(type) attestation of \(origin) states no time it was made, and the rule has maxAge \(PolicyDuration.describe(maxAge))")
            }
            let age = now - made.seconds
            // A time ahead of the clock (beyond a little skew) is no evidence of freshness.
            if age < -300 {
                return .stale("the \(type) attestation of \(origin) says it was made \(made.text), \(PolicyDuration.describe(-age)) in the future")
            }
            if age > maxAge {
                return .stale("the \(type) attestation of \(origin) was made \(made.text), \(PolicyDuration.describe(age)) ago; maxAge is \(PolicyDuration.describe(maxAge))")
            }
        }
        return .fresh(content(of: predicate, sbom: sbom, requirement, origin: origin))
    }

    /// Who counted, in words: "2 trusted key(s)", each identity by name.
    static func signers(_ result: VerificationResult) -> String {
        let keys = result.trustedKeysSatisfied.isEmpty ? [] : ["\(result.trustedKeysSatisfied.count) trusted key(s)"]
        return (keys + result.identitiesSatisfied.map(\.description)).joined(separator: " and ")
    }

    static func summary(_ result: VerificationResult) -> String {
        guard !result.signatures.isEmpty else { return " (none found)" }
        let reasons = result.signatures.filter { !$0.counted }.prefix(5).map { "\($0.origin): \($0.reason)" }
        return " (\(result.signatures.count) found" + (reasons.isEmpty ? "" : "; " + reasons.joined(separator: "; ")) + ")"
    }
}

extension Policy.Rule {
    /// A finding of this rule about `requirement`, in the rule's mode.
    func finding(_ requirement: Finding.Requirement, _ outcome: Finding.Outcome, _ message: String) -> Finding {
        Finding(rule: name, mode: mode, requirement: requirement, outcome: outcome, message: message)
    }
}

extension PolicyEvaluator {
    /// The rules matching `reference` that ask attestations of `type`, each with those
    /// requirements. Versioned URIs meet their base type either way round (`…/Document/v2.3`
    /// and spdxjson).
    func requirements(for type: PredicateType, reference: String, namespace: String?) -> [(Policy.Rule, [AttestationRequirement])] {
        func same(_ required: PredicateType) -> Bool { required.matches(type.uri) || type.matches(required.uri) }
        return policy.rules(matching: reference, namespace: namespace).compactMap { rule in
            let asked = rule.attestations.filter { same($0.type) }
            return asked.isEmpty ? nil : (rule, asked)
        }
    }

    /// `verify-attestation --policy`: every matching rule's requirement for `type` — its keys
    /// and threshold, maxAge and content rules — applied to the attestations in `evidence`.
    /// An image no rule asks such attestations of gets the policy's `noMatch`.
    public func decide(attestationsOf type: PredicateType, reference: String, namespace: String? = nil, digest: Digest?, evidence: any PolicyEvidence) -> PolicyDecision {
        let asked = requirements(for: type, reference: reference, namespace: namespace)
        guard !asked.isEmpty else {
            return unmatched(reference, digest, "no rule asks \(type) attestations of \(reference)")
        }
        let findings = asked.flatMap { rule, requirements in requirements.flatMap { judge($0, of: rule, evidence: evidence) } }
        return PolicyDecision(reference: reference, digest: digest, rules: asked.map(\.0.name), findings: findings)
    }

    /// `bulla policy test`: an unsigned predicate file judged by the age and content rules of
    /// every matching rule's requirement for `type`. Nothing is verified, so each rule's trust
    /// is reported as not checked, never as met.
    public func test(predicate: RawJSON, as type: PredicateType, reference: String, origin: String) -> PolicyDecision {
        let asked = requirements(for: type, reference: reference, namespace: nil)
        guard !asked.isEmpty else {
            return unmatched(reference, nil, "no rule asks \(type) attestations of \(reference)")
        }
        var findings: [Finding] = []
        for (rule, requirements) in asked {
            for requirement in requirements {
                let finding = { rule.finding(.attestations(requirement.type), $0, $1) }
                switch assess(predicate, origin: origin, requirement) {
                case .stale(let why):
                    findings.append(finding(.failed, why))
                case .fresh(let violations) where !violations.isEmpty:
                    findings += violations.map { finding(.failed, $0) }
                case .fresh:
                    findings.append(finding(.met, "the \(type) predicate in \(origin) meets the age and content rules: attested by \(requirement.trust.threshold) of the rule's trusted keys, it would meet the rule"))
                }
                findings.append(finding(.notChecked, "\(origin) is not signed: whether \(requirement.trust.threshold) of the rule's \(requirement.trust.keys.count) trusted key(s) attested it is not checked"))
            }
        }
        return PolicyDecision(reference: reference, digest: nil, rules: asked.map(\.0.name), findings: findings)
    }
}
