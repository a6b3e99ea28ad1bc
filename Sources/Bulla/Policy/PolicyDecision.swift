import BullaCrypto

/// The answer to "may this image run?", with every reason (spec/policy.md). The CLI prints it,
/// and the admission webhook returns it.
public struct PolicyDecision: Codable, Sendable, CustomStringConvertible {
    /// The decision's versioned media type, written in `--output json` so readers can check it.
    public static let mediaType = "application/vnd.bulla.policy-decision.v1+json"

    /// Always ``mediaType``, so a reader can check the version first.
    public var mediaType = PolicyDecision.mediaType
    /// The image judged, as policy globs matched it (``ImageReference/policyName``).
    public var reference: String
    /// The manifest digest judged; nil when the image was decided without being read.
    public var digest: Digest?
    /// The verdict: false when any enforced requirement failed; what exit codes and admission follow.
    public var allowed: Bool
    /// `allow` or `deny`, for readers that want a word.
    public var decision: String
    /// The rules that matched the image.
    public var rules: [String]
    /// Failures of enforced rules (each one denies) and of rules in warn mode (reported only).
    public var violations: [Finding]
    /// What each matched rule found satisfied.
    public var satisfied: [Finding]
    /// Requirements not checked (`bulla policy test` checks no signature); absent otherwise.
    public var unchecked: [Finding]?

    /// The decision `findings` make: denied when any enforced requirement failed.
    public init(reference: String, digest: Digest?, rules: [String], findings: [Finding]) {
        self.reference = reference
        self.digest = digest
        self.rules = rules
        violations = findings.filter { $0.outcome == .failed }
        satisfied = findings.filter { $0.outcome == .met }
        let unchecked = findings.filter { $0.outcome == .notChecked }
        self.unchecked = unchecked.isEmpty ? nil : unchecked
        allowed = !violations.contains(where: \.denies)
        decision = allowed ? "allow" : "deny"
    }

    /// Every finding, failures first.
    public var findings: [Finding] { violations + satisfied + (unchecked ?? []) }

    /// Lines for people: the verdict, then each reason (`deny`, `warn`, `ok`).
    public var description: String {
        var lines = ["\(decision.uppercased())  \(reference)" + (digest.map { " \($0.abbreviated)" } ?? "")]
        lines += violations.map { "  \($0.mode == .enforce ? "deny" : "warn")  \($0)" }
        lines += satisfied.map { "  ok    \($0)" }
        lines += (unchecked ?? []).map { "  --    \($0)" }
        return lines.joined(separator: "\n")
    }
}
