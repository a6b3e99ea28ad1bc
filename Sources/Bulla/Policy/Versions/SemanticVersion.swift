import BullaCrypto

/// `[v]MAJOR[.MINOR[.PATCH]][-prerelease][+build]` ordered by SemVer 2.0.0 §11: numbers
/// numerically, a pre-release before its release, pre-release identifiers numeric before
/// alphanumeric, build metadata ignored. Leading zeros stay invalid, as the spec says.
struct SemanticVersion: SchemeVersion {
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
