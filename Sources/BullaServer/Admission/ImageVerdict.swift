import Bulla
import BullaCrypto

/// What the webhook decided for one container's image, and why.
public struct ImageVerdict: Sendable {
    /// The container and image string the workload named, with the JSON pointer `/mutate` patches.
    public var image: ContainerImage
    /// The name policies matched (`HOST/PATH[:TAG][@DIGEST]`), nil when the image did not parse.
    public var reference: String?
    /// The digest verified (what `/mutate` pins a tag to); nil when the image could not be resolved.
    public var digest: Digest?
    /// Whether this image may run; the review is denied if any image's verdict is not allowed.
    public var allowed: Bool
    /// The names of the policy rules that matched the image, recorded in the decision log.
    public var rules: [String]
    /// Reasons that deny (enforced rules, or the failure to verify at all).
    public var denials: [String]
    /// Reasons reported without denying (warn-mode rules).
    public var warnings: [String]
    /// What was satisfied, for the decision log.
    public var satisfied: [String]

    init(image: ContainerImage, reference: String?, decision: PolicyDecision) {
        self.image = image
        self.reference = reference
        digest = decision.digest
        allowed = decision.allowed
        rules = decision.rules
        denials = decision.violations.filter { $0.mode == .enforce }.map(\.description)
        warnings = decision.violations.filter { $0.mode == .warn }.map(\.description)
        satisfied = decision.satisfied.map(\.description)
    }

    /// An image that could not be judged. It is denied unless every rule it matched is in warn
    /// mode, when the failure is only reported: the rules, not the outage, say what may run.
    init(image: ContainerImage, reference: String?, rules: [Policy.Rule], failure: String) {
        self.image = image
        self.reference = reference
        digest = nil
        self.rules = rules.map(\.name)
        let warnOnly = !rules.isEmpty && rules.allSatisfy { $0.mode == .warn }
        allowed = warnOnly
        denials = warnOnly ? [] : [failure]
        warnings = warnOnly ? [failure + " (warn only)"] : []
        satisfied = []
    }

    /// How the image is named in messages: as written in the pod, and its container.
    var subject: String { "image \(image.image) (\(image.list == "containers" ? "container" : String(image.list.dropLast())) \(image.container))" }

    var logged: JSONValue {
        var members: [(String, JSONValue)] = [
            ("container", .string(image.container)), ("list", .string(image.list)), ("image", .string(image.image)),
        ]
        if let reference { members.append(("reference", .string(reference))) }
        if let digest { members.append(("digest", .string(digest.description))) }
        members += [
            ("decision", .string(allowed ? "allow" : "deny")),
            ("rules", .array(rules.map { .string($0) })),
            ("denials", .array(denials.map { .string($0) })),
            ("warnings", .array(warnings.map { .string($0) })),
            ("satisfied", .array(satisfied.map { .string($0) })),
        ]
        return .object(members)
    }
}
