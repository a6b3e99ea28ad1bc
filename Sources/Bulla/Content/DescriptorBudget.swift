import BullaCrypto

/// The count of descriptors one walk over an image has visited, bounded by
/// ``Limits/maxDescriptors``: an index that lists the same child many times, a few levels deep,
/// is refused by name instead of expanded for minutes.
public struct DescriptorBudget: Sendable {
    /// The most descriptors one walk may visit (``Limits/maxDescriptors``).
    public let limit: Int
    /// Descriptors visited so far, each listing counted, so repeats cannot multiply unseen.
    public private(set) var spent = 0
    /// The image walked, for the error.
    let reference: String

    /// A fresh budget for one walk over `reference`, named in the error if it runs out.
    public init(limits: Limits, reference: String) {
        limit = limits.maxDescriptors
        self.reference = reference
    }

    /// Refuses a walk `depth` indexes deep when that is more than ``Limits/maxIndexDepth``.
    public func checkDepth(_ depth: Int, limits: Limits) throws {
        guard depth <= limits.maxIndexDepth else { throw Self.tooDeep(reference, limits: limits) }
    }

    /// The error for indexes nested deeper than ``Limits/maxIndexDepth``.
    public static func tooDeep(_ reference: String, limits: Limits) -> BullaError {
        BullaError(.limitExceeded, "\(reference): indexes nest deeper than \(limits.maxIndexDepth) levels")
    }

    /// Counts `count` more descriptors; throws `.limitExceeded` once the walk passes the limit.
    public mutating func spend(_ count: Int = 1) throws {
        let (total, overflow) = spent.addingReportingOverflow(count)
        guard !overflow, total <= limit else {
            throw BullaError(.limitExceeded, "\(reference) refers to more than \(limit) descriptors (manifests, configs and layers, counting each listing); Bulla reads at most \(limit) in one walk")
        }
        spent = total
    }
}
