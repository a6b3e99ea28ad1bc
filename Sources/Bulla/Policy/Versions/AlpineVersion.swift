import BullaCrypto

/// `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`, tokenized and ordered as
/// apk-tools' version.c does: component by component while both sides have the same kind of
/// token; where they first differ, a pre-release suffix (`_alpha _beta _pre _rc`) sorts
/// before anything, and otherwise the side that moved on to a later kind of token (or ended)
/// sorts first. So `1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1 < 1.0a < 1.0.1`.
struct AlpineVersion: SchemeVersion {
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
