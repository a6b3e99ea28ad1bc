import BullaCrypto

/// `[epoch:]upstream[-revision]` per Debian Policy 5.6.12. Versions dpkg reports as bad
/// syntax, even those it only warns about (no leading digit, a stray character), are refused:
/// Policy forbids them, and no archive carries them.
struct DebianVersion: SchemeVersion {
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
