import BullaCrypto

extension LicenseExpression {
    /// `nil` when some choice of licences satisfies the expression without a denied one;
    /// otherwise the denied licences of the choice found to need the fewest, for the message.
    ///
    /// Computed bottom-up in time linear in the expression times its depth, never by listing
    /// choices (there can be 2^n): an `OR` takes its member with the smallest set, an `AND`
    /// the union of its members'. Whether the set is empty, which is the decision, is exact;
    /// its size is minimal per `OR` but not always overall (`(A OR B) AND (A OR C)` can share
    /// `A`; the true minimum is a hitting-set problem), which only affects the message.
    public func unavoidableLicenses(deniedBy isDenied: (License) -> Bool) -> [License]? {
        let found = unavoidable(isDenied)
        return found.licenses.isEmpty ? nil : found.licenses
    }

    /// ``unavoidableLicenses(deniedBy:)`` with a licence denied when any entry matches it.
    public func unavoidableLicenses(deniedBy denials: [LicenseDenial]) -> [License]? {
        unavoidableLicenses { license in denials.contains { $0.matches(license) } }
    }

    private func unavoidable(_ isDenied: (License) -> Bool) -> DeniedSet {
        switch self {
        case .license(let license):
            var set = DeniedSet()
            if isDenied(license) { set.insert(license) }
            return set
        case .and(let members):
            var set = DeniedSet()
            for member in members { set.formUnion(member.unavoidable(isDenied)) }
            return set
        case .or(let members):
            var best: DeniedSet?
            for member in members {
                let set = member.unavoidable(isDenied)
                if set.licenses.isEmpty { return set }
                if best == nil || set.licenses.count < best!.licenses.count { best = set }
            }
            return best ?? DeniedSet()
        }
    }
}

/// Denied licences in first-seen order, each once however it is cased.
struct DeniedSet {
    var licenses: [LicenseExpression.License] = []
    private var keys: Set<String> = []

    mutating func insert(_ license: LicenseExpression.License) {
        if keys.insert(license.description.lowercased()).inserted { licenses.append(license) }
    }

    mutating func formUnion(_ other: DeniedSet) {
        for license in other.licenses { insert(license) }
    }
}
