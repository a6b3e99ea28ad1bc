import BullaCrypto

/// A version parsed under one scheme.
protocol SchemeVersion {
    init?(_ bytes: [UInt8])
    /// Negative, zero or positive as a orders before, equal to, after b.
    static func order(_ a: Self, _ b: Self) -> Int
}

extension UInt8 {
    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isLowerLetter: Bool { self >= 0x61 && self <= 0x7A }
    var isLetter: Bool { isLowerLetter || (self >= 0x41 && self <= 0x5A) }
    var lowercased: UInt8 { self >= 0x41 && self <= 0x5A ? self + 0x20 : self }
}

/// A run of decimal digits of any length, ordered by value: ecosystems put dates and
/// timestamps in versions, which overflow fixed-width integers.
struct Numeral: Comparable {
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

func threeWay<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

/// Byte-wise string order, shorter first on a common prefix (memcmp, then length).
func bytewise<A: Collection, B: Collection>(_ a: A, _ b: B) -> Int where A.Element == UInt8, B.Element == UInt8 {
    a.lexicographicallyPrecedes(b) ? -1 : (a.elementsEqual(b) ? 0 : 1)
}

/// Index just past the run of digits starting at `start`.
func digitRun(_ bytes: [UInt8], from start: Int) -> Int {
    var end = start
    while end < bytes.count, bytes[end].isDigit { end += 1 }
    return end
}
