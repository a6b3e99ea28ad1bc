import BullaCrypto

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

    /// Parses `text`; throws `BullaError` `.malformedInput` naming what is wrong.
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

func trimmingSpace(_ text: Substring) -> Substring {
    var text = text
    while let first = text.first, first.isWhitespace { text.removeFirst() }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
}

/// Splits on every occurrence of `separator`, keeping empty pieces (they are errors).
func pieces(_ text: Substring, on separator: String) -> [Substring] {
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
