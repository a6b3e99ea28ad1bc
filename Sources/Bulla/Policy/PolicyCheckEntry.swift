import BullaCrypto

/// One image's answer in `bulla policy check`: its decision, or why none could be made. Every
/// image gets one, so an unreadable image does not hide the verdicts on the others.
public enum PolicyCheckEntry: Encodable, Sendable, CustomStringConvertible {
    /// The image was judged.
    case decided(PolicyDecision)
    /// Its evidence could not be gathered: no decision, which admission treats as a denial.
    case undecided(UndecidedImage)

    /// The decision, when one was made.
    public var decision: PolicyDecision? {
        if case .decided(let decision) = self { return decision }
        return nil
    }

    /// Why no decision was made, when none was.
    public var undecided: UndecidedImage? {
        if case .undecided(let undecided) = self { return undecided }
        return nil
    }

    /// The lines `policy check` prints for the image.
    public var description: String { decision?.description ?? undecided!.description }

    /// Encoded as the decision or the undecided record itself, each with its media type.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .decided(let decision): try decision.encode(to: encoder)
        case .undecided(let undecided): try undecided.encode(to: encoder)
        }
    }
}

/// An image no decision could be made for, and why (`application/vnd.bulla.policy-undecided.v1+json`).
public struct UndecidedImage: Codable, Sendable, CustomStringConvertible {
    /// The record's versioned media type, so a reader can tell it from a decision.
    public static let mediaType = "application/vnd.bulla.policy-undecided.v1+json"

    /// Always ``mediaType``.
    public var mediaType = UndecidedImage.mediaType
    /// The image, named as a decision names it (``ImageReference/policyName``).
    public var reference: String
    /// Always false: what cannot be judged may not run.
    public var allowed = false
    /// Always `undecided`, beside a decision's `allow` and `deny`.
    public var decision = "undecided"
    /// The error's code (`unreachable`, `malformedInput`, a limit's `limitExceeded`…).
    public var code: String
    /// What went wrong, for people.
    public var message: String

    /// The record for `reference`, which failed with `error`.
    public init(reference: String, error: BullaError) {
        self.reference = reference
        code = error.code.name
        message = error.description
    }

    /// `UNDECIDED  REFERENCE` and the error below it, as `policy check` prints a decision.
    public var description: String { "UNDECIDED  \(reference)\n  error  \(message)" }
}

extension Verifier {
    /// `bulla policy check`: each image judged under `policy` for a pod in `namespace`, in
    /// order, carrying on past an image whose evidence cannot be gathered.
    public func check(_ references: [ImageReference], policy: Policy, namespace: String? = nil, platform: Platform? = nil) -> [PolicyCheckEntry] {
        references.map { reference in
            do {
                return .decided(try decide(try subject(reference, platform: platform), policy: policy, namespace: namespace))
            } catch {
                let failure = error as? BullaError ?? BullaError(.internalFailure, "\(error)")
                return .undecided(UndecidedImage(reference: reference.policyName, error: failure))
            }
        }
    }
}
