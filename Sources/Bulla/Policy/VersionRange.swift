import BullaCrypto

// Version orderings of the ecosystems a package URL can name, and ranges over them.
//
// Each scheme parses a version into a key and orders keys. A string the scheme's own tool
// would refuse is not a version of that scheme: `compare` answers nil rather than guess,
// because a wrong guess in a policy check silently lets a vulnerable package through.
// All parsing works on the UTF-8 bytes; every grammar here is ASCII.

/// How versions of one ecosystem order.
public enum VersionScheme: String, Sendable, Codable, CaseIterable {
    /// SemVer 2.0.0 precedence, leniently: a leading `v` and a missing minor or patch
    /// (`1.2` = `1.2.0`) are accepted, as advisories and package tooling write them.
    case semver
    /// Debian Policy 5.6.12, as `dpkg --compare-versions` orders.
    case debian
    /// apk-tools' ordering (Alpine's `apk version -t`).
    case alpine
    /// PEP 440, as PyPI `packaging.version.Version` orders.
    case pep440
    /// A Maven-like fallback for ecosystems without a formal grammar; see `GenericVersion`.
    case generic

    /// The scheme a package URL type calls for: deb → debian, apk → alpine, pypi → pep440,
    /// npm/cargo/golang/gem/nuget/composer/... → semver, maven and anything else → generic.
    public static func forPurlType(_ type: String) -> VersionScheme {
        switch type.lowercased() {
        case "deb": return .debian
        case "apk": return .alpine
        case "pypi": return .pep440
        case "npm", "cargo", "golang", "gem", "nuget", "composer", "hex", "pub", "swift", "cocoapods":
            return .semver
        default: return .generic
        }
    }

    /// Negative, zero or positive as a orders before, equal to, after b; nil when either is not
    /// a version of this scheme. The result is always -1, 0 or 1.
    public func compare(_ a: String, _ b: String) -> Int? {
        guard let order = comparer(for: a), let side = order(b) else { return nil }
        return -side
    }

    /// Parses `version` once and returns a function ordering a bound against it: the result
    /// is the sign of `bound` relative to `version`, nil when the bound does not parse. Nil
    /// when `version` itself does not parse.
    func comparer(for version: String) -> ((String) -> Int?)? {
        switch self {
        case .semver: return Self.comparer(SemanticVersion.self, version)
        case .debian: return Self.comparer(DebianVersion.self, version)
        case .alpine: return Self.comparer(AlpineVersion.self, version)
        case .pep440: return Self.comparer(PEP440Version.self, version)
        case .generic: return Self.comparer(GenericVersion.self, version)
        }
    }

    private static func comparer<V: SchemeVersion>(_: V.Type, _ version: String) -> ((String) -> Int?)? {
        guard let parsed = V(Array(version.utf8)) else { return nil }
        return { bound in V(Array(bound.utf8)).map { V.order($0, parsed).signum() } }
    }
}

/// A set of versions: comparators joined by "," (all must hold), alternatives joined by "||".
///
/// Grammar: `*` is every version; a comparator is `<`, `<=`, `>`, `>=`, `=`, `==` or `!=`
/// followed by a version, whitespace optional; a bare version means `=`. Versions are kept as
/// text and ordered only at `contains` time, so one range can be stored before its scheme is
/// known (a policy names ranges, the package URL of a finding names the scheme).
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    enum Operator: String, Sendable, Hashable {
        case lessOrEqual = "<=", greaterOrEqual = ">=", notEqual = "!=", less = "<", greater = ">", equal = "="

        func holds(_ sign: Int) -> Bool {
            switch self {
            case .less: return sign < 0
            case .lessOrEqual: return sign <= 0
            case .greater: return sign > 0
            case .greaterOrEqual: return sign >= 0
            case .equal: return sign == 0
            case .notEqual: return sign != 0
            }
        }
    }

    struct Comparator: Sendable, Hashable {
        var op: Operator
        var version: String
    }

    /// Alternatives, each a conjunction; an empty conjunction is `*`.
    let alternatives: [[Comparator]]

    /// Parses `text`; throws ``BullaError`` `.malformedInput` naming what is wrong.
    public init(_ text: String) throws {
        func fail(_ reason: String) -> BullaError {
            BullaError(.malformedInput, "version range \"\(text)\": \(reason)")
        }
        guard !trimmingSpace(Substring(text)).isEmpty else { throw fail("it is empty") }
        var alternatives: [[Comparator]] = []
        for alternative in pieces(Substring(text), on: "||") {
            let alternative = trimmingSpace(alternative)
            guard !alternative.isEmpty else { throw fail("an alternative around \"||\" is empty") }
            if alternative == "*" {
                alternatives.append([])
                continue
            }
            var comparators: [Comparator] = []
            for part in pieces(alternative, on: ",") {
                let part = trimmingSpace(part)
                guard !part.isEmpty else { throw fail("a comparator around \",\" is empty") }
                guard part != "*" else { throw fail("\"*\" must stand alone as an alternative") }
                var op = Operator.equal
                var rest = part
                // Longest first, so "<=" is not read as "<" followed by "=1.0".
                if let match = ["<=", ">=", "==", "!=", "<", ">", "="].first(where: { part.hasPrefix($0) }) {
                    op = match == "==" ? .equal : Operator(rawValue: match)!
                    rest = trimmingSpace(part.dropFirst(match.count))
                    guard !rest.isEmpty else { throw fail("\"\(match)\" has no version after it") }
                }
                if let bad = rest.first(where: { "<>=!".contains($0) }) {
                    throw fail("unexpected \"\(bad)\" in \"\(part)\"")
                }
                if rest.contains("|") { throw fail("a single \"|\"; alternatives are joined by \"||\"") }
                if rest == "*" { throw fail("\"*\" must stand alone as an alternative") }
                if rest.contains("*") { throw fail("wildcards such as \"\(rest)\" are not supported; use \"*\" or bounds") }
                if rest.contains(where: { $0.isWhitespace }) {
                    throw fail("\"\(part)\" holds more than one version; join comparators with \",\"")
                }
                comparators.append(Comparator(op: op, version: String(rest)))
            }
            alternatives.append(comparators)
        }
        self.alternatives = alternatives
    }

    /// Whether `version` is in the range when ordered by `scheme`: nil when `version` is not a
    /// version of the scheme, or when the answer depends on a bound that is not. A decided
    /// alternative wins over an undecided one (`< 1 || >= junk` holds for `0.5`), so nil means
    /// the range really cannot say; the caller treats it as unknown, not as outside.
    public func contains(_ version: String, scheme: VersionScheme) -> Bool? {
        guard let order = scheme.comparer(for: version) else { return nil }
        var undecided = false
        for alternative in alternatives {
            var holds: Bool? = true
            for comparator in alternative {
                guard let side = order(comparator.version) else {
                    holds = nil
                    continue
                }
                // `order` gives the bound's side of the version; the operator wants the other.
                if !comparator.op.holds(-side) {
                    holds = false
                    break
                }
            }
            switch holds {
            case true?: return true
            case nil: undecided = true
            case false?: break
            }
        }
        return undecided ? nil : false
    }

    /// The normalized text: `op version` comparators joined by ", ", alternatives by " || ";
    /// `==` and a bare version are written `= version`.
    public var description: String {
        alternatives.map { alternative in
            alternative.isEmpty ? "*" : alternative.map { "\($0.op.rawValue) \($0.version)" }.joined(separator: ", ")
        }.joined(separator: " || ")
    }
}

private func trimmingSpace(_ text: Substring) -> Substring {
    var text = text
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
}

/// Splits on every occurrence of `separator`, keeping empty pieces (they are errors).
private func pieces(_ text: Substring, on separator: String) -> [Substring] {
    var pieces: [Substring] = []
    var start = text.startIndex
    var index = text.startIndex
    while index < text.endIndex {
        if text[index...].hasPrefix(separator) {
            pieces.append(text[start..<index])
            index = text.index(index, offsetBy: separator.count)
            start = index
        } else {
            index = text.index(after: index)
        }
    }
    pieces.append(text[start...])
    return pieces
}

// MARK: - Shared pieces

/// A version parsed under one scheme.
private protocol SchemeVersion {
    init?(_ bytes: [UInt8])
    /// Negative, zero or positive as a orders before, equal to, after b.
    static func order(_ a: Self, _ b: Self) -> Int
}

private extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isLowerLetter: Bool { self >= 0x61 && self <= 0x7A }
    var isLetter: Bool { isLowerLetter || (self >= 0x41 && self <= 0x5A) }
    var lowercased: UInt8 { self >= 0x41 && self <= 0x5A ? self + 0x20 : self }
}

/// A run of decimal digits of any length, ordered by value: ecosystems put dates and
/// timestamps in versions, which overflow fixed-width integers.
private struct Numeral: Comparable {
    /// Without leading zeros; empty for zero.
    let digits: ArraySlice<UInt8>

    init<S: Collection>(_ digits: S) where S.Element == UInt8 {
        let all = ArraySlice(digits)
        self.digits = all.drop(while: { $0 == 0x30 })
    }

    static let zero = Numeral([UInt8]())
    var isZero: Bool { digits.isEmpty }

    static func < (a: Numeral, b: Numeral) -> Bool {
        a.digits.count != b.digits.count ? a.digits.count < b.digits.count : a.digits.lexicographicallyPrecedes(b.digits)
    }
    static func == (a: Numeral, b: Numeral) -> Bool { a.digits.elementsEqual(b.digits) }
}

private func threeWay<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

/// Byte-wise string order, shorter first on a common prefix (memcmp, then length).
private func bytewise<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
    a.lexicographicallyPrecedes(b) ? -1 : (a.elementsEqual(b) ? 0 : 1)
}

/// Index just past the run of digits starting at `start`.
private func digitRun(_ bytes: [UInt8], from start: Int) -> Int {
    var end = start
    while end < bytes.count, bytes[end].isDigit { end += 1 }
    return end
}

// MARK: - Debian

/// `[epoch:]upstream[-revision]` per Debian Policy 5.6.12. Versions dpkg reports as bad
/// syntax, even those it only warns about (no leading digit, a stray character), are refused:
/// Policy forbids them, and no archive carries them.
private struct DebianVersion: SchemeVersion {
    var epoch: Int
    var upstream: [UInt8]
    var revision: [UInt8]

    init?(_ bytes: [UInt8]) {
        // dpkg trims blanks (space, tab) and refuses any inside.
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        let text = Array(bytes.drop(while: blank).reversed().drop(while: blank).reversed())
        guard !text.isEmpty, !text.contains(where: blank) else { return nil }
        var rest = ArraySlice(text)
        // The first colon ends the epoch, so upstream may hold colons only after an epoch.
        if let colon = text.firstIndex(of: 0x3A) {
            let digits = text[..<colon]
            guard !digits.isEmpty, digits.allSatisfy(\.isDigit), Numeral(digits) <= Numeral(Array("2147483647".utf8)) else { return nil }
            epoch = Int(String(decoding: digits, as: UTF8.self))!
            rest = text[(colon + 1)...]
        } else {
            epoch = 0
        }
        // The last hyphen starts the revision, so upstream may hold hyphens.
        if let hyphen = rest.lastIndex(of: 0x2D) {
            upstream = Array(rest[..<hyphen])
            revision = Array(rest[(hyphen + 1)...])
            guard !revision.isEmpty else { return nil }
        } else {
            upstream = Array(rest)
            revision = []
        }
        guard let first = upstream.first, first.isDigit else { return nil }
        let isAlnum: (UInt8) -> Bool = { $0.isDigit || $0.isLetter }
        guard upstream.allSatisfy({ isAlnum($0) || Array(".-+~:".utf8).contains($0) }),
              revision.allSatisfy({ isAlnum($0) || Array(".+~".utf8).contains($0) })
        else { return nil }
    }

    static func order(_ a: DebianVersion, _ b: DebianVersion) -> Int {
        if a.epoch != b.epoch { return threeWay(a.epoch, b.epoch) }
        let upstream = part(a.upstream, b.upstream)
        return upstream != 0 ? upstream : part(a.revision, b.revision)
    }

    /// Weight of a non-digit position: `~` before the end, the end before letters, letters
    /// before everything else. Digits weigh as the end, since a digit run starts there.
    private static func weight(_ c: UInt8?) -> Int {
        guard let c, !c.isDigit else { return 0 }
        if c.isLetter { return Int(c) }
        if c == 0x7E { return -1 }
        return Int(c) + 256
    }

    /// Alternating non-digit and digit runs; an absent revision compares as "" (= "0").
    private static func part(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        func at(_ s: [UInt8], _ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        while i < a.count || j < b.count {
            // Equal weights mean the same non-digit byte on both sides, so both advance.
            while (i < a.count && !a[i].isDigit) || (j < b.count && !b[j].isDigit) {
                let wa = weight(at(a, i)), wb = weight(at(b, j))
                if wa != wb { return threeWay(wa, wb) }
                i += 1; j += 1
            }
            let ea = digitRun(a, from: i), eb = digitRun(b, from: j)
            let na = Numeral(a[i..<ea]), nb = Numeral(b[j..<eb])
            if na != nb { return threeWay(na, nb) }
            i = ea; j = eb
        }
        return 0
    }
}

// MARK: - Alpine

/// `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`, tokenized and ordered as
/// apk-tools' version.c does: component by component while both sides have the same kind of
/// token; where they first differ, a pre-release suffix (`_alpha _beta _pre _rc`) sorts
/// before anything, and otherwise the side that moved on to a later kind of token (or ended)
/// sorts first. So `1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1 < 1.0a < 1.0.1`.
private struct AlpineVersion: SchemeVersion {
    /// In grammar order; the order decides the tail rule.
    enum Kind: Int, Comparable {
        case initialDigit, digit, letter, suffix, suffixNumber, commitHash, revision, end
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    struct Token {
        var kind: Kind
        var text: ArraySlice<UInt8>
        /// For `.suffix`: pre-release suffixes below `noSuffix`, post-release ones above.
        var suffix = 0
    }

    static let noSuffix = 5
    static let suffixes: [String: Int] = ["alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10]

    var tokens: [Token]

    init?(_ bytes: [UInt8]) {
        let end = digitRun(bytes, from: 0)
        guard end > 0 else { return nil }
        tokens = [Token(kind: .initialDigit, text: bytes[..<end])]
        var i = end
        while i < bytes.count {
            let state = tokens[tokens.count - 1].kind
            let c = bytes[i]
            if c.isLowerLetter {
                guard state <= .digit else { return nil }
                tokens.append(Token(kind: .letter, text: bytes[i...i]))
                i += 1
            } else if c == 0x2E || c.isDigit {  // "." then digits, or the number of a suffix
                let kind: Kind
                if c == 0x2E {
                    guard state <= .digit else { return nil }
                    i += 1
                    kind = .digit
                } else {
                    guard state == .suffix else { return nil }
                    kind = .suffixNumber
                }
                let end = digitRun(bytes, from: i)
                guard end > i else { return nil }
                tokens.append(Token(kind: kind, text: bytes[i..<end]))
                i = end
            } else if c == 0x5F {  // "_" suffix
                guard state <= .suffixNumber else { return nil }
                i += 1
                var end = i
                while end < bytes.count, bytes[end].isLowerLetter { end += 1 }
                guard let value = Self.suffixes[String(decoding: bytes[i..<end], as: UTF8.self)] else { return nil }
                tokens.append(Token(kind: .suffix, text: bytes[i..<end], suffix: value))
                i = end
            } else if c == 0x7E {  // "~" commit hash, lower-case hex
                guard state < .commitHash else { return nil }
                i += 1
                var end = i
                while end < bytes.count, bytes[end].isDigit || (bytes[end] >= 0x61 && bytes[end] <= 0x66) { end += 1 }
                guard end > i else { return nil }
                tokens.append(Token(kind: .commitHash, text: bytes[i..<end]))
                i = end
            } else if c == 0x2D {  // "-rN", which nothing may follow
                guard state < .revision, i + 1 < bytes.count, bytes[i + 1] == 0x72 else { return nil }
                i += 2
                let end = digitRun(bytes, from: i)
                guard end > i else { return nil }
                tokens.append(Token(kind: .revision, text: bytes[i..<end]))
                i = end
            } else {
                return nil
            }
        }
        tokens.append(Token(kind: .end, text: []))
    }

    static func order(_ a: AlpineVersion, _ b: AlpineVersion) -> Int {
        var k = 0
        while a.tokens[k].kind == b.tokens[k].kind, a.tokens[k].kind != .end {
            let r = compareTokens(a.tokens[k], b.tokens[k])
            if r != 0 { return r }
            k += 1
        }
        let ta = a.tokens[k], tb = b.tokens[k]
        if ta.kind == tb.kind { return 0 }
        if ta.kind == .suffix, ta.suffix < noSuffix { return -1 }
        if tb.kind == .suffix, tb.suffix < noSuffix { return 1 }
        return ta.kind > tb.kind ? -1 : 1
    }

    private static func compareTokens(_ a: Token, _ b: Token) -> Int {
        switch a.kind {
        case .digit where a.text.first == 0x30 || b.text.first == 0x30:
            // A fractional-looking component ("1.05") compares as text, as in Gentoo.
            return bytewise(a.text, b.text)
        case .initialDigit, .digit, .suffixNumber, .revision:
            return threeWay(Numeral(a.text), Numeral(b.text))
        case .letter:
            return threeWay(a.text.first!, b.text.first!)
        case .suffix:
            return threeWay(a.suffix, b.suffix)
        case .commitHash, .end:
            return bytewise(a.text, b.text)
        }
    }
}

// MARK: - PEP 440

/// PEP 440 as `packaging` parses it: case-insensitive, optional leading `v`, `N!` epoch,
/// release with implicit zero padding, pre (`a b rc`, spelled also alpha beta c pre preview),
/// post (`.postN`, `-N`, rev, r), dev, `+local`; optional separators `. _ -` between parts and
/// an omitted number meaning 0. Separators are taken greedily and never given back, as
/// packaging's possessive pattern does.
private struct PEP440Version: SchemeVersion {
    enum LocalPart: Comparable {
        case text([UInt8])
        case number(Numeral)
        /// Text before numbers, as PEP 440 says.
        static func < (a: LocalPart, b: LocalPart) -> Bool {
            switch (a, b) {
            case let (.text(x), .text(y)): return x.lexicographicallyPrecedes(y)
            case let (.number(x), .number(y)): return x < y
            case (.text, .number): return true
            case (.number, .text): return false
            }
        }
    }

    var epoch = Numeral.zero
    /// Trailing zeros removed: 1.0.0 == 1.
    var release: [Numeral] = []
    /// dev-only -1, a 0, b 1, rc 2, none 3: a bare `.devN` sorts before any pre-release.
    var preRank = 3
    var pre = Numeral.zero
    var post: Numeral?
    var dev: Numeral?
    var local: [LocalPart]?

    init?(_ raw: [UInt8]) {
        let space: (UInt8) -> Bool = { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
        let s = Array(raw.drop(while: space).reversed().drop(while: space).reversed()).map(\.lowercased)
        var i = 0
        func at(_ k: Int) -> UInt8? { k < s.count ? s[k] : nil }
        func isSeparator(_ c: UInt8?) -> Bool { c == 0x2E || c == 0x5F || c == 0x2D }
        /// Consumes the first of `words` spelled at i; longer spellings are listed first.
        func word(_ words: [String]) -> String? {
            for w in words where s[i...].starts(with: w.utf8) {
                i += w.utf8.count
                return w
            }
            return nil
        }
        func number() -> Numeral? {
            let end = digitRun(s, from: i)
            defer { i = end }
            return end > i ? Numeral(s[i..<end]) : nil
        }
        func skipSeparator() { if isSeparator(at(i)) { i += 1 } }

        if at(i) == 0x76 { i += 1 }  // "v"
        let epochEnd = digitRun(s, from: i)
        if epochEnd > i, at(epochEnd) == 0x21 {  // "!"
            epoch = Numeral(s[i..<epochEnd])
            i = epochEnd + 1
        }
        guard let first = number() else { return nil }
        var release = [first]
        while at(i) == 0x2E, at(i + 1)?.isDigit == true {
            i += 1
            release.append(number()!)
        }
        while release.last?.isZero == true { release.removeLast() }
        self.release = release

        var start = i
        skipSeparator()
        if let label = word(["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
            preRank = ["alpha": 0, "a": 0, "beta": 1, "b": 1][label] ?? 2
            skipSeparator()
            pre = number() ?? .zero
        } else {
            i = start
        }

        start = i
        if at(i) == 0x2D, at(i + 1)?.isDigit == true {  // "-N"
            i += 1
            post = number()
        } else {
            skipSeparator()
            if word(["post", "rev", "r"]) != nil {
                skipSeparator()
                post = number() ?? .zero
            } else {
                i = start
            }
        }

        start = i
        skipSeparator()
        if word(["dev"]) != nil {
            skipSeparator()
            dev = number() ?? .zero
        } else {
            i = start
        }
        if preRank == 3, post == nil, dev != nil { preRank = -1 }

        if at(i) == 0x2B {  // "+local": alphanumeric runs, single separators between
            i += 1
            var parts: [LocalPart] = []
            while true {
                var end = i
                while end < s.count, s[end].isDigit || s[end].isLowerLetter { end += 1 }
                guard end > i else { return nil }
                let run = s[i..<end]
                parts.append(run.allSatisfy(\.isDigit) ? .number(Numeral(run)) : .text(Array(run)))
                i = end
                guard isSeparator(at(i)) else { break }
                i += 1
            }
            local = parts
        }
        guard i == s.count else { return nil }
    }

    static func order(_ a: PEP440Version, _ b: PEP440Version) -> Int {
        if a.epoch != b.epoch { return threeWay(a.epoch, b.epoch) }
        if !a.release.elementsEqual(b.release) { return a.release.lexicographicallyPrecedes(b.release) ? -1 : 1 }
        if a.preRank != b.preRank { return threeWay(a.preRank, b.preRank) }
        if a.pre != b.pre { return threeWay(a.pre, b.pre) }
        // No post release sorts before any; no dev release sorts after any.
        switch (a.post, b.post) {
        case (nil, _?): return -1
        case (_?, nil): return 1
        case let (x?, y?) where x != y: return threeWay(x, y)
        default: break
        }
        switch (a.dev, b.dev) {
        case (nil, _?): return 1
        case (_?, nil): return -1
        case let (x?, y?) where x != y: return threeWay(x, y)
        default: break
        }
        switch (a.local, b.local) {
        case (nil, nil): return 0
        case (nil, _?): return -1
        case (_?, nil): return 1
        case let (x?, y?): return x.elementsEqual(y) ? 0 : (x.lexicographicallyPrecedes(y) ? -1 : 1)
        }
    }
}

// MARK: - SemVer

/// `[v]MAJOR[.MINOR[.PATCH]][-prerelease][+build]` ordered by SemVer 2.0.0 §11: numbers
/// numerically, a pre-release before its release, pre-release identifiers numeric before
/// alphanumeric, build metadata ignored. Leading zeros stay invalid, as the spec says.
private struct SemanticVersion: SchemeVersion {
    enum Identifier: Comparable {
        case number(Numeral)
        case text(ArraySlice<UInt8>)
        static func < (a: Identifier, b: Identifier) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): return x < y
            case let (.text(x), .text(y)): return x.lexicographicallyPrecedes(y)
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
    }

    var core: [Numeral] = []
    var prerelease: [Identifier] = []

    init?(_ bytes: [UInt8]) {
        var s = ArraySlice(bytes)
        if s.first == 0x76 || s.first == 0x56 { s = s.dropFirst() }  // "v" or "V"
        let plus = s.firstIndex(of: 0x2B)
        if let plus {
            let build = s[(plus + 1)...]
            guard Self.identifiers(build) != nil else { return nil }
            s = s[..<plus]
        }
        var main = s
        if let hyphen = s.firstIndex(of: 0x2D) {
            guard let identifiers = Self.identifiers(s[(hyphen + 1)...]) else { return nil }
            for id in identifiers {
                if id.allSatisfy(\.isDigit) {
                    guard id.count == 1 || id.first != 0x30 else { return nil }
                    prerelease.append(.number(Numeral(id)))
                } else {
                    prerelease.append(.text(id))
                }
            }
            main = s[..<hyphen]
        }
        let parts = main.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isDigit), part.count == 1 || part.first != 0x30 else { return nil }
            core.append(Numeral(part))
        }
        while core.count < 3 { core.append(.zero) }
    }

    /// Dot-separated, non-empty, `[0-9A-Za-z-]`.
    private static func identifiers(_ s: ArraySlice<UInt8>) -> [ArraySlice<UInt8>]? {
        let ids = s.split(separator: 0x2E, omittingEmptySubsequences: false)
        for id in ids {
            guard !id.isEmpty, id.allSatisfy({ $0.isDigit || $0.isLetter || $0 == 0x2D }) else { return nil }
        }
        return ids
    }

    static func order(_ a: SemanticVersion, _ b: SemanticVersion) -> Int {
        if !a.core.elementsEqual(b.core) { return a.core.lexicographicallyPrecedes(b.core) ? -1 : 1 }
        switch (a.prerelease.isEmpty, b.prerelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false):
            if a.prerelease.elementsEqual(b.prerelease) { return 0 }
            return a.prerelease.lexicographicallyPrecedes(b.prerelease) ? -1 : 1
        }
    }
}

// MARK: - Generic

/// The fallback for ecosystems with no grammar of their own (Maven among them), close to
/// Maven's ComparableVersion but flat, so that it is a total order:
///
/// - Case-insensitive; ASCII letters, digits and the separators `. - _ +` only; a `v` before
///   a digit at the start is dropped.
/// - The *release* is the leading run of numbers joined by `.`; releases compare
///   numerically, missing numbers counting as 0 (`1.0` = `1`).
/// - The rest is the *tail*, split at separators and at digit/letter changes. Tails compare
///   item by item: numbers numerically and after every word; words by qualifier rank
///   `alpha < beta < milestone < rc = cr < snapshot < (release) = ga = final = release < sp`,
///   then unknown words after `sp`, alphabetically; a missing item is the release qualifier.
///   Trailing zeros and release words are dropped first (`1.0-0` = `1.0-ga` = `1.0`).
///   `a`, `b`, `m` directly followed by a digit mean alpha, beta, milestone.
///
/// So `1.0-alpha1 < 1.0-beta < 1.0-rc1 < 1.0-SNAPSHOT < 1.0 = 1.0.Final < 1.0-sp1 < 1.0-1 < 1.0.1`,
/// and OpenSSL's `1.1.1 < 1.1.1a < 1.1.1w < 1.1.2`.
private struct GenericVersion: SchemeVersion {
    enum Item: Comparable {
        case word(rank: Int, text: ArraySlice<UInt8>)
        case number(Numeral)

        static let releaseRank = 5
        static let unknownRank = 7
        static let pad = Item.word(rank: releaseRank, text: [])

        static func < (a: Item, b: Item) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): return x < y
            case let (.word(r, x), .word(s, y)):
                return r != s ? r < s : (r == unknownRank && x.lexicographicallyPrecedes(y))
            case (.word, .number): return true
            case (.number, .word): return false
            }
        }
        static func == (a: Item, b: Item) -> Bool { !(a < b) && !(b < a) }
    }

    static let ranks: [String: Int] = [
        "alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "cr": 3, "snapshot": 4,
        "ga": 5, "final": 5, "release": 5, "sp": 6,
    ]

    var release: [Numeral] = []
    var tail: [Item] = []

    init?(_ raw: [UInt8]) {
        let s = raw.map(\.lowercased)
        let isSeparator: (UInt8) -> Bool = { $0 == 0x2E || $0 == 0x2D || $0 == 0x5F || $0 == 0x2B }
        guard !s.isEmpty, s.allSatisfy({ $0.isDigit || $0.isLowerLetter || isSeparator($0) }) else { return nil }
        var i = s.count > 1 && s[0] == 0x76 && s[1].isDigit ? 1 : 0
        // Release: numbers joined by ".".
        var end = digitRun(s, from: i)
        if end > i {
            release.append(Numeral(s[i..<end]))
            i = end
            while true {
                var next = i
                while next < s.count, s[next] == 0x2E { next += 1 }  // "1..2" is 1.2
                guard next > i, next < s.count, s[next].isDigit else { break }
                end = digitRun(s, from: next)
                release.append(Numeral(s[next..<end]))
                i = end
            }
        }
        // Tail: digit and letter runs; separators only split.
        while i < s.count {
            if isSeparator(s[i]) {
                i += 1
            } else if s[i].isDigit {
                end = digitRun(s, from: i)
                tail.append(.number(Numeral(s[i..<end])))
                i = end
            } else {
                end = i
                while end < s.count, s[end].isLowerLetter { end += 1 }
                var text = String(decoding: s[i..<end], as: UTF8.self)
                if end < s.count, s[end].isDigit, let full = ["a": "alpha", "b": "beta", "m": "milestone"][text] { text = full }
                tail.append(.word(rank: Self.ranks[text] ?? Item.unknownRank, text: s[i..<end]))
                i = end
            }
        }
        // As Maven does, trailing zeros and release words say nothing: 1.0-0 = 1.0-ga = 1.0.
        while let last = tail.last, last == .number(.zero) || last == Item.pad { tail.removeLast() }
    }

    static func order(_ a: GenericVersion, _ b: GenericVersion) -> Int {
        for k in 0..<max(a.release.count, b.release.count) {
            let x = k < a.release.count ? a.release[k] : .zero
            let y = k < b.release.count ? b.release[k] : .zero
            if x != y { return threeWay(x, y) }
        }
        for k in 0..<max(a.tail.count, b.tail.count) {
            let x = k < a.tail.count ? a.tail[k] : Item.pad
            let y = k < b.tail.count ? b.tail[k] : Item.pad
            if x != y { return threeWay(x, y) }
        }
        return 0
    }
}
