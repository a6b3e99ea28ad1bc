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

        public init(id: String, orLater: Bool = false, exception: String? = nil) {
            self.id = id
            self.orLater = orLater
            self.exception = exception
        }

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
private struct DeniedSet {
    var licenses: [LicenseExpression.License] = []
    private var keys: Set<String> = []

    mutating func insert(_ license: LicenseExpression.License) {
        if keys.insert(license.description.lowercased()).inserted { licenses.append(license) }
    }

    mutating func formUnion(_ other: DeniedSet) {
        for license in other.licenses { insert(license) }
    }
}

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

    public init(_ license: LicenseExpression.License) {
        self.license = license
    }

    public var description: String { license.description }

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
private struct VersionedName {
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

/// Recursive descent over tokens, one level of recursion per parenthesis:
/// `or := and (OR and)*`, `and := primary (AND primary)*`,
/// `primary := '(' or ')' | licence [WITH exception]`.
private struct ExpressionParser {
    private enum Kind: Equatable {
        case word(String, plus: Bool)
        case open, close, and, or, with, end
    }

    private struct Token {
        var kind: Kind
        /// 1-based Unicode scalar position in the text.
        var position: Int
    }

    private let text: String
    private let what: String
    private var tokens: [Token] = []
    private var index = 0
    private var depth = 0

    init(_ text: String, what: String) throws {
        self.text = text
        self.what = what
        guard text.utf8.count <= LicenseExpression.maxTextBytes else {
            throw BullaError(.limitExceeded, "\(what) is \(text.utf8.count) bytes, more than the limit of \(LicenseExpression.maxTextBytes)")
        }
        try tokenize()
    }

    func fail(_ reason: String) -> BullaError {
        BullaError(.malformedInput, "\(what) \"\(Self.shown(text))\": \(reason)")
    }

    /// The text for a message: at most 100 scalars, control characters escaped.
    private static func shown(_ text: String) -> String {
        var out = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == 100 { return out + "…" }
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out
    }

    private static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r"
    }

    /// `idstring` characters, and `:` for `DocumentRef-…:LicenseRef-…`.
    private static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", ":": return true
        default: return false
        }
    }

    private mutating func tokenize() throws {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if Self.isSpace(c) {
                i += 1
            } else if c == "(" || c == ")" {
                tokens.append(Token(kind: c == "(" ? .open : .close, position: i + 1))
                i += 1
            } else if c == "+" {
                throw fail("'+' at position \(i + 1) must directly follow a licence id")
            } else if Self.isWordCharacter(c) {
                let start = i
                while i < scalars.count && Self.isWordCharacter(scalars[i]) { i += 1 }
                var word = ""
                word.unicodeScalars.append(contentsOf: scalars[start..<i])
                var plus = false
                if i < scalars.count && scalars[i] == "+" {
                    plus = true
                    i += 1
                    if i < scalars.count && !Self.isSpace(scalars[i]) && scalars[i] != ")" {
                        throw fail("expected a space or ')' after '+' at position \(i + 1)")
                    }
                }
                let kind: Kind
                switch word {
                case "AND", "and": kind = .and
                case "OR", "or": kind = .or
                case "WITH", "with": kind = .with
                default:
                    let upper = word.uppercased()
                    if upper == "AND" || upper == "OR" || upper == "WITH" {
                        throw fail("'\(word)' at position \(start + 1) is not an operator: write \(upper) or \(word.lowercased())")
                    }
                    kind = .word(word, plus: plus)
                }
                if plus {
                    guard case .word = kind else { throw fail("'+' at position \(i) must directly follow a licence id") }
                }
                tokens.append(Token(kind: kind, position: start + 1))
            } else {
                let shown = c.value < 0x20 || c.value == 0x7F ? c.escaped(asASCII: true) : String(c)
                throw fail("unexpected character '\(shown)' at position \(i + 1)")
            }
        }
        tokens.append(Token(kind: .end, position: scalars.count + 1))
    }

    private var current: Token { tokens[index] }

    private static func name(_ kind: Kind) -> String {
        switch kind {
        case .word(let word, let plus): return "'\(word)\(plus ? "+" : "")'"
        case .open: return "'('"
        case .close: return "')'"
        case .and: return "AND"
        case .or: return "OR"
        case .with: return "WITH"
        case .end: return "the end of the text"
        }
    }

    mutating func parse() throws -> LicenseExpression {
        guard tokens.count > 1 else { throw fail("is empty") }
        let expression = try parseOr()
        switch current.kind {
        case .end: return expression
        case .close: throw fail("unmatched ')' at position \(current.position)")
        default: throw fail("expected AND, OR or the end at position \(current.position), found \(Self.name(current.kind))")
        }
    }

    private mutating func parseOr() throws -> LicenseExpression {
        var members = [try parseAnd()]
        while current.kind == .or {
            index += 1
            members.append(try parseAnd())
        }
        return Self.combine(members, isAnd: false)
    }

    private mutating func parseAnd() throws -> LicenseExpression {
        var members = [try parsePrimary()]
        while current.kind == .and {
            index += 1
            members.append(try parsePrimary())
        }
        return Self.combine(members, isAnd: true)
    }

    /// One member, or the operator's list with nested lists of the same operator spliced in.
    private static func combine(_ members: [LicenseExpression], isAnd: Bool) -> LicenseExpression {
        if members.count == 1 { return members[0] }
        var flat: [LicenseExpression] = []
        for member in members {
            switch member {
            case .and(let inner) where isAnd: flat += inner
            case .or(let inner) where !isAnd: flat += inner
            default: flat.append(member)
            }
        }
        return isAnd ? .and(flat) : .or(flat)
    }

    private mutating func parsePrimary() throws -> LicenseExpression {
        let token = current
        switch token.kind {
        case .open:
            guard depth < LicenseExpression.maxNesting else {
                throw BullaError(.limitExceeded, "\(what) \"\(Self.shown(text))\": parentheses nest deeper than the limit of \(LicenseExpression.maxNesting) at position \(token.position)")
            }
            depth += 1
            index += 1
            let inner = try parseOr()
            switch current.kind {
            case .close: break
            case .end: throw fail("'(' at position \(token.position) is not closed")
            default: throw fail("expected AND, OR or ')' at position \(current.position), found \(Self.name(current.kind))")
            }
            depth -= 1
            index += 1
            if current.kind == .with {
                throw fail("WITH at position \(current.position) must follow a licence id, not a parenthesised expression")
            }
            return inner
        case .word(let word, let plus):
            index += 1
            var license = try licence(word, plus: plus, at: token.position)
            if current.kind == .with {
                if license.id == "NONE" || license.id == "NOASSERTION" {
                    throw fail("\(license.id) at position \(token.position) takes no WITH exception")
                }
                let with = current
                index += 1
                guard case .word(let name, let namePlus) = current.kind else {
                    throw fail("expected an exception id after WITH at position \(with.position), found \(Self.name(current.kind))")
                }
                license.exception = try exception(name, plus: namePlus, at: current.position)
                index += 1
                if current.kind == .with {
                    throw fail("a licence takes one WITH exception; another WITH at position \(current.position)")
                }
            }
            return .license(license)
        default:
            throw fail("expected a licence at position \(token.position), found \(Self.name(token.kind))")
        }
    }

    /// `prefix` in its spec case if `word` starts with it in any case.
    private static func respell(_ word: Substring, _ prefix: String) -> String? {
        guard word.count >= prefix.count, word.prefix(prefix.count).lowercased() == prefix.lowercased() else { return nil }
        return prefix + word.dropFirst(prefix.count)
    }

    /// `DocumentRef-x:<Kind>Ref-y` respelled, or nil if `word` is not that shape.
    private static func documentRef(_ word: String, _ kindPrefix: String) -> String? {
        let parts = word.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let document = respell(parts[0], "DocumentRef-"), document.count > "DocumentRef-".count,
              let reference = respell(parts[1], kindPrefix), reference.count > kindPrefix.count
        else { return nil }
        return document + ":" + reference
    }

    private func licence(_ word: String, plus: Bool, at position: Int) throws -> LicenseExpression.License {
        let upper = word.uppercased()
        if upper == "NONE" || upper == "NOASSERTION" {
            if plus { throw fail("\(upper) at position \(position) takes no '+'") }
            return .init(id: upper)
        }
        let lower = word.lowercased()
        if lower.hasPrefix("additionref-") || lower.contains(":additionref-") {
            throw fail("'\(word)' at position \(position) is an AdditionRef, which names an exception, not a licence")
        }
        if word.contains(":") || lower.hasPrefix("documentref-") {
            guard let id = Self.documentRef(word, "LicenseRef-") else {
                throw fail("'\(word)' at position \(position) is not of the form DocumentRef-id:LicenseRef-id")
            }
            if plus { throw fail("'+' at position \(position + word.unicodeScalars.count) applies to licence-list ids, not to a LicenseRef") }
            return .init(id: id)
        }
        if let id = Self.respell(word[...], "LicenseRef-") {
            guard id.count > "LicenseRef-".count else {
                throw fail("'\(word)' at position \(position) needs an id after 'LicenseRef-'")
            }
            if plus { throw fail("'+' at position \(position + word.unicodeScalars.count) applies to licence-list ids, not to a LicenseRef") }
            return .init(id: id)
        }
        if plus && lower.hasSuffix("-only") {
            throw fail("'\(word)+' at position \(position) says both only and or later")
        }
        return .init(id: word, orLater: plus)
    }

    private func exception(_ word: String, plus: Bool, at position: Int) throws -> String {
        if plus { throw fail("'+' at position \(position + word.unicodeScalars.count) cannot follow an exception") }
        let lower = word.lowercased()
        if lower.hasPrefix("licenseref-") || lower.contains(":licenseref-") {
            throw fail("'\(word)' at position \(position) is a LicenseRef, which names a licence, not an exception")
        }
        if lower == "none" || lower == "noassertion" {
            throw fail("'\(word)' at position \(position) is not an exception")
        }
        if word.contains(":") || lower.hasPrefix("documentref-") {
            guard let id = Self.documentRef(word, "AdditionRef-") else {
                throw fail("'\(word)' at position \(position) is not of the form DocumentRef-id:AdditionRef-id")
            }
            return id
        }
        if let id = Self.respell(word[...], "AdditionRef-") {
            guard id.count > "AdditionRef-".count else {
                throw fail("'\(word)' at position \(position) needs an id after 'AdditionRef-'")
            }
            return id
        }
        return word
    }
}
