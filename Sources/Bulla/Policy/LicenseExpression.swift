import BullaCrypto

/// An SPDX licence expression (SPDX 2.3 Annex D): licence ids, `id+`, `LicenseRef-…` and
/// `DocumentRef-…:LicenseRef-…`, `WITH` exceptions, `AND` and `OR` (AND binds tighter),
/// parentheses. A policy reads the licence a package declares as one of these so that a choice
/// (`MIT OR GPL-3.0-only`) is not denied for a licence the user need not take.
///
/// Reading choices, so that what real metadata carries is read, and nothing is guessed:
/// - Operators are `AND`/`and`, `OR`/`or`, `WITH`/`with`: all upper or all lower case, as the
///   SPDX 3.0 annex allows (2.3 asks for case-sensitive matching; lower case is common in
///   package metadata). A mixed-case `And` is refused rather than read as a licence id.
/// - Ids are not checked against the SPDX licence list (Bulla carries no copy); any
///   `idstring` is a licence id. They keep the case they were written in, and are compared
///   without regard to case, as Annex D.2 says.
/// - `NONE` and `NOASSERTION` are licences with that id, denied only if a policy lists them.
///   They take no `+` and no `WITH`.
/// - `+` must touch the id (`GPL-2.0+`, not `GPL-2.0 +`) and applies to licence-list ids only,
///   as the grammar says; `-only+` contradicts itself and is refused.
/// - The parser flattens `(A AND B) AND C` into one `AND` and drops redundant parentheses, so
///   parsing ``description`` gives back an equal value.
public indirect enum LicenseExpression: Sendable, Hashable, CustomStringConvertible {
    case license(License)
    /// Every member applies. The parser never builds an empty or one-member list.
    case and([LicenseExpression])
    /// Any one member may be chosen. The parser never builds an empty or one-member list.
    case or([LicenseExpression])

    /// One licence, possibly with an exception: the leaf a policy decides on.
    public struct License: Sendable, Hashable, CustomStringConvertible {
        /// As written (`GPL-2.0-or-later`, `mit`), except that `NONE`, `NOASSERTION` and the
        /// `LicenseRef-`/`DocumentRef-` prefixes are put in their spec case.
        public var id: String
        /// The `+` suffix: this version or any later one. An id ending in `-or-later` says the
        /// same thing; ``LicenseDenial`` treats the two alike.
        public var orLater: Bool
        /// The `WITH` exception, as written except that `AdditionRef-`/`DocumentRef-` prefixes
        /// are put in their spec case.
        public var exception: String?

        /// A licence from its parts; the parser fixes the case of the special ids and prefixes.
        public init(id: String, orLater: Bool = false, exception: String? = nil) {
            self.id = id
            self.orLater = orLater
            self.exception = exception
        }

        /// `id[+][ WITH exception]`: SPDX text that parses back to the same licence.
        public var description: String {
            id + (orLater ? "+" : "") + (exception.map { " WITH \($0)" } ?? "")
        }
    }

    /// Longest text parsed, in UTF-8 bytes; real expressions are far shorter.
    public static let maxTextBytes = 64 << 10
    /// Deepest parenthesis nesting parsed; bounds the parser's recursion.
    public static let maxNesting = 64

    /// Parses `text`. Malformed text throws `.malformedInput` naming the 1-based position of
    /// the fault; text over ``maxTextBytes`` or nesting over ``maxNesting`` throws
    /// `.limitExceeded`.
    public init(parsing text: String) throws {
        var parser = try ExpressionParser(text, what: "licence expression")
        self = try parser.parse()
    }

    /// Canonical text: upper-case operators, ids as parsed, parentheses only around an `OR`
    /// inside an `AND`.
    public var description: String { render(insideAnd: false) }

    private func render(insideAnd: Bool) -> String {
        switch self {
        case .license(let license):
            return license.description
        case .and(let members):
            if members.count == 1 { return members[0].render(insideAnd: insideAnd) }
            return members.map { $0.render(insideAnd: true) }.joined(separator: " AND ")
        case .or(let members):
            if members.count == 1 { return members[0].render(insideAnd: insideAnd) }
            let text = members.map { $0.render(insideAnd: false) }.joined(separator: " OR ")
            return insideAnd ? "(\(text))" : text
        }
    }
}
