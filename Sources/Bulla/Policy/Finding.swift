/// What a policy found about one requirement of one rule: a typed value a program reads
/// (which rule, what it asked, whether it was met) with the sentence a person reads.
public struct Finding: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Whether the requirement was met, failed, or (for `bulla policy test`, which reads an
    /// unsigned file) not checked at all.
    public enum Outcome: String, Codable, Sendable {
        case met, failed
        /// The requirement was not checked: nothing signed was there to check it against.
        case notChecked
    }

    /// The part of a rule a finding is about.
    public struct Requirement: Codable, Sendable, Hashable {
        /// Which kind of requirement: the image's signatures, its attestations of a type, or
        /// the policy's `noMatch` for an image no rule matches.
        public enum Kind: String, Codable, Sendable { case signatures, attestations, noMatch }
        /// Which requirement this is, so a program can group findings without parsing messages.
        public var kind: Kind
        /// For attestation requirements: the predicate type asked for.
        public var predicateType: String?

        /// Signed by enough trusted keys.
        public static let signatures = Requirement(kind: .signatures, predicateType: nil)
        /// No rule matched; the policy's `noMatch` decided.
        public static let noMatch = Requirement(kind: .noMatch, predicateType: nil)
        /// Attestations of `type`, trusted, fresh and with allowed content.
        public static func attestations(_ type: PredicateType) -> Requirement { Requirement(kind: .attestations, predicateType: type.uri) }
    }

    /// The rule that gave it; nil when no rule matched.
    public var rule: String?
    /// Whether the rule enforces or only warns: a failed finding denies only under `enforce`.
    public var mode: Policy.Mode
    /// What the rule asked for: signatures, attestations of a type, or the `noMatch` default.
    public var requirement: Requirement
    /// Whether it was met, failed or not checked, the value a decision is made from.
    public var outcome: Outcome
    /// The reason, in a sentence that names what was found (spec/policy.md keeps the wording).
    public var message: String

    /// A finding from its parts, as the evaluator makes one per requirement of each matching rule.
    public init(rule: String?, mode: Policy.Mode, requirement: Requirement, outcome: Outcome, message: String) {
        self.rule = rule
        self.mode = mode
        self.requirement = requirement
        self.outcome = outcome
        // Messages carry text from images and certificates; one finding is one printable line.
        self.message = message.printable
    }

    /// A failure that denies: failed, in an enforced rule.
    public var denies: Bool { outcome == .failed && mode == .enforce }

    /// `rule "NAME": message`, marked `(warn only)` in warn mode: the line the CLI prints.
    public var description: String {
        (rule.map { "rule \"\($0)\": " } ?? "") + message + (mode == .warn ? " (warn only)" : "")
    }
}
