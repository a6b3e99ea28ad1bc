import BullaCrypto

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
struct GenericVersion: SchemeVersion {
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
