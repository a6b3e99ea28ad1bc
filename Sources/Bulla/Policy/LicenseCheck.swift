/// Licence denial over a package's licence text.
enum LicenseCheck {
    /// The denied licences every reading of `license` needs, or nil when one avoids them all.
    /// Text that is not an SPDX expression (a CycloneDX licence name) is one licence, matched
    /// by its whole text.
    static func unavoidable(_ license: String, denied: [LicenseDenial]) -> String? {
        if let expression = try? LicenseExpression(parsing: license) {
            return expression.unavoidableLicenses(deniedBy: denied).map { $0.map(\.description).joined(separator: " AND ") }
        }
        // Several CycloneDX licences joined with AND, some given by name: each is judged alone.
        let parts = license.components(separatedBy: " AND ")
        if parts.count > 1 {
            let hits = parts.compactMap { unavoidable($0.trimmingParentheses, denied: denied) }
            return hits.isEmpty ? nil : hits.joined(separator: " AND ")
        }
        let hit = denied.contains { $0.description.lowercased() == license.lowercased() }
        if hit { return license }
        return mentioned(license, denied: denied)
    }

    /// Fails closed on text that is not an expression Bulla reads: a denied licence named
    /// anywhere in it (`GPL-3.0-only OR`, `(AGPL-3.0-only`) is taken as needed, since nothing
    /// shows a reading that avoids it.
    private static func mentioned(_ license: String, denied: [LicenseDenial]) -> String? {
        let words = license.split { $0.isWhitespace || $0 == "(" || $0 == ")" || $0 == "," || $0 == ";" || $0 == "/" }
        for word in words where !["AND", "OR", "WITH"].contains(word.uppercased()) {
            guard case .license(let candidate)? = try? LicenseExpression(parsing: String(word)) else { continue }
            let bare = LicenseExpression.License(id: candidate.id, orLater: candidate.orLater)
            if let denial = denied.first(where: { $0.matches(candidate) || LicenseDenial(LicenseExpression.License(id: $0.license.id, orLater: $0.license.orLater)).matches(bare) }) {
                return "\(denial) (named in the unreadable licence \"\(license.prefix(120))\")"
            }
        }
        return nil
    }
}

private extension String {
    var trimmingParentheses: String {
        hasPrefix("(") && hasSuffix(")") ? String(dropFirst().dropLast()) : self
    }
}
