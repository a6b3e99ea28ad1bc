import BullaCrypto

/// One entry of a policy's denied licences: `GPL-3.0-only`,
/// `GPL-2.0-only WITH Classpath-exception-2.0`, `AGPL-3.0-or-later`, `LicenseRef-Proprietary`.
///
/// Matching, with ids compared without regard to case (SPDX ids are case-insensitive):
/// - An entry without `WITH` matches the licence with or without an exception; an entry with
///   `WITH` matches only that exception.
/// - `X+` and `X-or-later` are the same licence, and so are `X-only` and the deprecated bare
///   `X` (`GPL-2.0`), on either side.
/// - `X-only` (or bare `X`) denies exactly version X taken alone. It does not match a
///   package's `X-or-later`, which may be taken under a later version instead, nor another
///   version (`GPL-3.0-only` does not match `GPL-2.0-only`). Only for an id without a
///   dotted version (`MIT`, `BSD-3-Clause`), where `+` offers no other licence, does it match
///   `X+` too.
/// - `X-or-later` (or `X+`) denies version X and every later one: it matches `X-only`,
///   `X-or-later`, and any id of the same family with a version at least X
///   (`GPL-2.0-or-later` matches `GPL-3.0-only` and `GPL-3.0+`, not `GPL-1.0-or-later`
///   nor `LGPL-2.1-only`). So to deny a GNU licence whatever version choice a package leaves
///   open, list it as `-or-later`.
/// - `LicenseRef-…`, `DocumentRef-…`, `NONE` and `NOASSERTION` match only themselves.
public struct LicenseDenial: Sendable, Hashable, CustomStringConvertible {
    /// The licence denied, with its `+` or `WITH` exception, matched by the rules above.
    public let license: LicenseExpression.License

    /// Parses one licence, with an optional `WITH` exception; `AND` and `OR` are refused, since
    /// an entry denies a licence, not a combination.
    public init(_ text: String) throws {
        var parser = try ExpressionParser(text, what: "denied licence")
        guard case .license(let license) = try parser.parse() else {
            throw parser.fail("an entry names one licence, not an expression with AND or OR")
        }
        self.license = license
    }

    /// An entry for a licence already parsed; the licence check builds one without the exception.
    public init(_ license: LicenseExpression.License) {
        self.license = license
    }

    /// The entry in SPDX form, as messages name what was denied.
    public var description: String { license.description }

    /// Whether this entry denies `candidate`, one licence of a package's expression (rules above).
    public func matches(_ candidate: LicenseExpression.License) -> Bool {
        if let exception = license.exception {
            guard let other = candidate.exception, other.lowercased() == exception.lowercased() else { return false }
        }
        let entry = VersionedName(license)
        let other = VersionedName(candidate)
        if entry.isOpaque || other.isOpaque {
            return entry.isOpaque && other.isOpaque && entry.base == other.base
        }
        if !entry.orLater {
            return other.base == entry.base && (!other.orLater || other.version == nil)
        }
        if let family = entry.family, let version = entry.version,
           let otherFamily = other.family, let otherVersion = other.version, family == otherFamily {
            return !VersionedName.isLess(otherVersion, version)
        }
        return other.base == entry.base
    }
}

/// A licence id split for matching: lower-cased, `-only`/`-or-later`/`+` folded into
/// `orLater`, and a `-N.N` segment taken as the version (`gpl-*` `[3, 0]`).
struct VersionedName {
    var base: String
    var orLater: Bool
    var family: String?
    var version: [Int]?
    /// Not a licence-list id: compared whole, never by version.
    var isOpaque: Bool

    init(_ license: LicenseExpression.License) {
        var base = license.id.lowercased()
        isOpaque = base.hasPrefix("licenseref-") || base.hasPrefix("documentref-") || base == "none" || base == "noassertion"
        orLater = license.orLater
        family = nil
        version = nil
        if isOpaque {
            self.base = base
            return
        }
        if base.hasSuffix("-or-later") {
            base.removeLast("-or-later".count)
            orLater = true
        } else if base.hasSuffix("-only") {
            base.removeLast("-only".count)
        }
        self.base = base
        // The version is the first dash-separated segment of two or more dotted numbers, so
        // `GFDL-1.3-invariants` is family `gfdl-*-invariants` and `BSD-3-Clause` has none.
        let segments = base.split(separator: "-", omittingEmptySubsequences: false)
        for (position, segment) in segments.enumerated() {
            let parts = segment.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            let numbers = parts.compactMap { part -> Int? in
                guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
                return Int(part)
            }
            guard numbers.count == parts.count else { continue }
            var familySegments = segments.map(String.init)
            familySegments[position] = "*"
            family = familySegments.joined(separator: "-")
            version = numbers
            break
        }
    }

    /// Numeric, component by component, with missing components as zero (`3` == `3.0`).
    static func isLess(_ a: [Int], _ b: [Int]) -> Bool {
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            if x != y { return x < y }
        }
        return false
    }
}
