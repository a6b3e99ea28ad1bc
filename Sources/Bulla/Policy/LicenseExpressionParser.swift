import BullaCrypto

/// Recursive descent over tokens, one level of recursion per parenthesis:
/// `or := and (OR and)*`, `and := primary (AND primary)*`,
/// `primary := '(' or ')' | licence [WITH exception]`.
struct ExpressionParser {
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
