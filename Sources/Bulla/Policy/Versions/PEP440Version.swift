import BullaCrypto

/// PEP 440 as `packaging` parses it: case-insensitive, optional leading `v`, `N!` epoch,
/// release with implicit zero padding, pre (`a b rc`, spelled also alpha beta c pre preview),
/// post (`.postN`, `-N`, rev, r), dev, `+local`; optional separators `. _ -` between parts and
/// an omitted number meaning 0. Separators are taken greedily and never given back, as
/// packaging's possessive pattern does.
struct PEP440Version: SchemeVersion {
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
