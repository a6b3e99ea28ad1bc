import BullaCrypto

/// Judges an image by a ``Policy``: every rule that matches it must be met (rules in warn mode
/// only report); an image no rule matches gets the policy's `noMatch`.
public struct PolicyEvaluator: Sendable {
    public let policy: Policy
    /// Seconds since the epoch: the time `maxAge` is measured to.
    public var now: Int

    public init(policy: Policy, now: Int = Timestamp.now) {
        self.policy = policy
        self.now = now
    }

    public func decide(reference: String, namespace: String? = nil, digest: Digest?, evidence: any PolicyEvidence) -> PolicyDecision {
        let rules = policy.rules(matching: reference, namespace: namespace)
        guard !rules.isEmpty else {
            return unmatched(reference, digest, "no rule matches \(reference)" + (namespace.map { " in namespace \($0)" } ?? ""))
        }
        var violations: [PolicyDecision.Reason] = []
        var satisfied: [PolicyDecision.Reason] = []
        for rule in rules {
            let (failed, met) = evaluate(rule, evidence: evidence)
            violations += failed.map { .init(rule: rule.name, mode: rule.mode, message: $0) }
            satisfied += met.map { .init(rule: rule.name, mode: rule.mode, message: $0) }
        }
        return PolicyDecision(reference: reference, digest: digest, rules: rules.map(\.name), violations: violations, satisfied: satisfied)
    }

    /// The decision for an image no rule applies to: the policy's `noMatch`.
    private func unmatched(_ reference: String, _ digest: Digest?, _ why: String) -> PolicyDecision {
        let reason = PolicyDecision.Reason(rule: nil, mode: .enforce, message: "\(why); noMatch is \(policy.noMatch.rawValue)")
        let denied = policy.noMatch == .deny
        return PolicyDecision(reference: reference, digest: digest, rules: [], violations: denied ? [reason] : [], satisfied: denied ? [] : [reason])
    }

    /// The failures and the met requirements of one rule.
    func evaluate(_ rule: Policy.Rule, evidence: any PolicyEvidence) -> (failed: [String], met: [String]) {
        var failed: [String] = []
        var met: [String] = []
        if let trust = rule.signatures {
            let result = evidence.signatures(trustedBy: trust)
            if result.verified {
                met.append("signed by \(result.trustedKeysSatisfied.count) trusted key(s), \(trust.threshold) required")
            } else {
                failed.append("image signatures: \(result.trustedKeysSatisfied.count) of \(trust.threshold) required trusted key(s) signed" + Self.summary(result))
            }
        }
        for requirement in rule.attestations {
            let result = evidence.attestations(of: requirement.type, trustedBy: requirement.trust)
            let (bad, good) = judge(result, requirement)
            failed += bad
            met += good
        }
        return (failed, met)
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
        var fresh: [(SignatureCheck, SBOM?)] = []
        var stale: [String] = []
        for check in verified {
            let predicate = check.predicate!
            var sbom: SBOM?
            if requirement.readsPackages || requirement.maxAge != nil {
                sbom = try? SBOM(reading: predicate, what: "\(type) predicate", limits: .default)
            }
            if let maxAge = requirement.maxAge {
                guard let made = AttestationTime.made(predicate, sbom: sbom) else {
                    stale.append("the \(type) attestation of \(check.origin) states no time it was made, and the rule has maxAge \(PolicyDuration.describe(maxAge))")
                    continue
                }
                let age = now - made.seconds
                // A time ahead of the clock (beyond a little skew) is no evidence of freshness.
                if age < -300 {
                    stale.append("the \(type) attestation of \(check.origin) says it was made \(made.text), \(PolicyDuration.describe(-age)) in the future")
                    continue
                }
                if age > maxAge {
                    stale.append("the \(type) attestation of \(check.origin) was made \(made.text), \(PolicyDuration.describe(age)) ago; maxAge is \(PolicyDuration.describe(maxAge))")
                    continue
                }
            }
            fresh.append((check, sbom))
        }
        guard !fresh.isEmpty else { return (stale, []) }
        // A key counts toward the threshold only through an attestation that meets every
        // requirement: trusted, of the type, fresh enough, and with content the rule allows.
        var keys: Set<String> = []
        for (check, known) in fresh {
            let violations = content(of: check.predicate!, sbom: known, requirement, origin: check.origin)
            failed += violations
            if violations.isEmpty, let keyID = check.keyID { keys.insert(keyID) }
        }
        // The threshold the evidence was verified against: the requirement's own, or 1 for
        // evidence taken as given (`bulla policy test`).
        let threshold = result.threshold
        guard keys.count >= threshold else {
            return (failed + stale + ["\(keys.count) of \(threshold) required trusted key(s) attested \(type) in a way that meets every requirement of the rule"], [])
        }
        let met = failed.isEmpty ? ["\(fresh.count) \(type) attestation(s) by \(keys.count) of the rule's trusted keys meet the rule"] : []
        return (failed, met)
    }

    /// What the content rules say about one verified predicate.
    public func content(of predicate: RawJSON, sbom known: SBOM? = nil, _ requirement: AttestationRequirement, origin: String) -> [String] {
        var failed: [String] = []
        if requirement.readsPackages {
            do {
                let sbom = try known ?? SBOM(reading: predicate, what: "\(requirement.type) predicate")
                failed += Self.packageViolations(sbom, requirement)
            } catch {
                failed.append("the \(requirement.type) predicate of \(origin) is not an SBOM Bulla reads: \(error)")
            }
        }
        for field in requirement.requiredFields {
            do {
                if let violation = try field.violation(in: predicate) { failed.append(violation) }
            } catch {
                failed.append("field \(field.pointer) cannot be read: \(error)")
            }
        }
        return failed
    }

    static func packageViolations(_ sbom: SBOM, _ requirement: AttestationRequirement) -> [String] {
        var failed: [String] = []
        // Real SBOMs repeat a handful of licence texts thousands of times: each is judged once.
        var licenseVerdicts: [String: String?] = [:]
        // A purl is parsed only when it could name a denied package: its text contains the
        // denied name (most of a large SBOM is then never parsed).
        let needles = requirement.deniedPackages.map { Array(($0.purl?.name ?? $0.name ?? "").lowercased().utf8).map(Self.folded) }
        for package in sbom.packages {
            let candidate = Self.isOpaque(package.purl) || Self.isOpaque(package.name) || needles.contains { needle in
                Self.containsIgnoringCase(package.purl, needle) || Self.containsIgnoringCase(package.name, needle)
            }
            let purl = candidate ? package.purl.map(PackageURL.Reading.init) : nil
            func shown() -> String {
                "package \(package.name) \(package.version ?? purl?.readable?.version ?? "(no version)")" + (package.purl.map { " (\(Self.quoted($0)))" } ?? "")
            }
            for denial in requirement.deniedPackages where candidate {
                if let why = denial.denial(of: package, reading: purl) {
                    failed.append("\(shown()) is denied by \(denial.subject): \(why)" + (denial.reason.map { " — \($0)" } ?? ""))
                }
            }
            if !requirement.deniedLicenses.isEmpty, let license = package.license {
                let verdict: String?
                if let known = licenseVerdicts[license] {
                    verdict = known
                } else {
                    verdict = LicenseCheck.unavoidable(license, denied: requirement.deniedLicenses)
                    licenseVerdicts[license] = .some(verdict)
                }
                if let hit = verdict {
                    failed.append("\(shown()) has licence \(license), which needs denied \(hit)")
                }
            }
        }
        return failed
    }

    /// Text the byte-wise pre-filter cannot see through, so it is always judged in full: a
    /// percent escape (`%6B`) or any non-ASCII byte (U+212A KELVIN SIGN lower-cases to `k`).
    private static func isOpaque(_ text: String?) -> Bool {
        text?.utf8.contains { $0 == UInt8(ascii: "%") || $0 >= 0x80 } == true
    }

    /// A purl as a message shows it: at most 200 characters.
    static func quoted(_ text: String) -> String {
        text.utf8.count <= 200 ? text : String(decoding: text.utf8.prefix(200), as: UTF8.self) + "…"
    }

    /// Lower-case, with `_` and `.` as `-` (the pypi normalisation, the loosest a purl name
    /// comparison makes).
    private static func folded(_ b: UInt8) -> UInt8 {
        if b >= 0x41 && b <= 0x5A { return b | 0x20 }
        return b == UInt8(ascii: "_") || b == UInt8(ascii: ".") ? UInt8(ascii: "-") : b
    }

    /// Whether `needle` (already folded) occurs in `text` once folded: a cheap test before a
    /// purl is parsed.
    static func containsIgnoringCase(_ text: String?, _ needle: [UInt8]) -> Bool {
        guard var text, !needle.isEmpty else { return text != nil && needle.isEmpty }
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            outer: for start in 0...(bytes.count - needle.count) {
                for (offset, byte) in needle.enumerated() {
                    if folded(bytes[start + offset]) != byte { continue outer }
                }
                return true
            }
            return false
        }
    }

    private static func summary(_ result: VerificationResult) -> String {
        guard !result.signatures.isEmpty else { return " (none found)" }
        let reasons = result.signatures.filter { !$0.counted }.prefix(5).map { "\($0.origin): \($0.reason)" }
        return " (\(result.signatures.count) found" + (reasons.isEmpty ? "" : "; " + reasons.joined(separator: "; ")) + ")"
    }
}

extension PolicyEvaluator {
    /// `verify-attestation --policy`: every matching rule's requirement for `type` — its keys
    /// and threshold, maxAge and content rules — applied to the attestations in `evidence`.
    /// An image no rule asks such attestations of gets the policy's `noMatch`.
    public func decide(attestationsOf type: PredicateType, reference: String, namespace: String? = nil, digest: Digest?, evidence: any PolicyEvidence) -> PolicyDecision {
        // Versioned URIs meet their base type either way round (`…/Document/v2.3` and spdxjson).
        func same(_ required: PredicateType) -> Bool { required.matches(type.uri) || type.matches(required.uri) }
        let rules = policy.rules(matching: reference, namespace: namespace).filter { rule in rule.attestations.contains { same($0.type) } }
        guard !rules.isEmpty else {
            return unmatched(reference, digest, "no rule asks \(type) attestations of \(reference)")
        }
        var violations: [PolicyDecision.Reason] = []
        var satisfied: [PolicyDecision.Reason] = []
        for rule in rules {
            for requirement in rule.attestations where same(requirement.type) {
                let (failed, met) = judge(evidence.attestations(of: requirement.type, trustedBy: requirement.trust), requirement)
                violations += failed.map { .init(rule: rule.name, mode: rule.mode, message: $0) }
                satisfied += met.map { .init(rule: rule.name, mode: rule.mode, message: $0) }
            }
        }
        return PolicyDecision(reference: reference, digest: digest, rules: rules.map(\.name), violations: violations, satisfied: satisfied)
    }
}
