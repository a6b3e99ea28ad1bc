import BullaCrypto

/// The answer to "may this image run?", with every reason (spec/policy.md). The CLI prints it,
/// and the admission webhook returns it.
public struct PolicyDecision: Codable, Sendable, CustomStringConvertible {
    public static let mediaType = "application/vnd.bulla.policy-decision.v1+json"

    public struct Reason: Codable, Sendable, Hashable, CustomStringConvertible {
        /// The rule that gave it; nil when no rule matched.
        public var rule: String?
        public var mode: Policy.Mode
        public var message: String

        public init(rule: String?, mode: Policy.Mode, message: String) {
            self.rule = rule
            self.mode = mode
            self.message = message
        }

        public var description: String {
            (rule.map { "rule \"\($0)\": " } ?? "") + message + (mode == .warn ? " (warn only)" : "")
        }
    }

    public var mediaType = PolicyDecision.mediaType
    public var reference: String
    public var digest: Digest?
    public var allowed: Bool
    /// `allow` or `deny`, for readers that want a word.
    public var decision: String
    /// The rules that matched the image.
    public var rules: [String]
    /// Failures of enforced rules (each one denies) and of rules in warn mode (reported only).
    public var violations: [Reason]
    /// What each matched rule found satisfied.
    public var satisfied: [Reason]

    public init(reference: String, digest: Digest?, rules: [String], violations: [Reason], satisfied: [Reason]) {
        self.reference = reference
        self.digest = digest
        self.rules = rules
        self.violations = violations
        self.satisfied = satisfied
        allowed = !violations.contains { $0.mode == .enforce }
        decision = allowed ? "allow" : "deny"
    }

    /// Lines for people: the verdict, then each reason (`deny`, `warn`, `ok`).
    public var description: String {
        var lines = ["\(decision.uppercased())  \(reference)" + (digest.map { " \($0.abbreviated)" } ?? "")]
        lines += violations.map { "  \($0.mode == .enforce ? "deny" : "warn")  \($0)" }
        lines += satisfied.map { "  ok    \($0)" }
        return lines.joined(separator: "\n")
    }
}
