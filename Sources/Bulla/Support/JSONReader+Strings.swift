#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BullaCrypto

/// String scanning: escapes, UTF-8 and member names.
extension JSONReader {
    mutating func scanName() throws -> Name {
        let (range, escaped) = try scanString()
        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        return Name(bytes: bytes, decoded: escaped ? Self.unescape(bytes) : nil)
    }

    /// Consumes a string starting at its opening quote; returns the range between the quotes and
    /// whether it holds escapes. Eight bytes at a time while none needs a closer look.
    mutating func scanString() throws -> (Range<Int>, escaped: Bool) {
        if trusted {
            let start = index + 1
            skipStringTrusted()
            let range = start..<index - 1
            return (range, UnsafeBufferPointer(start: base + start, count: range.count).contains(UInt8(ascii: "\\")))
        }
        index += 1
        let start = index
        var escaped = false
        while true {
            while count - index >= 8 {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.needsLook(word) { break }
                index += 8
            }
            guard index < count else { throw error("the document ends inside a string") }
            let byte = base[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return (start..<index - 1, escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                try scanEscape()
            case 0..<0x20:
                throw error("a control character (0x\(Hex.encode([byte]))) in a string must be escaped")
            case 0x80...:
                try scanUTF8()
            default:
                index += 1
            }
        }
    }

    /// True when any byte of `word` is a quote, a backslash, a control character or non-ASCII.
    @inline(__always)
    static func needsLook(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let control = (word &- ones &* 0x20) & ~word & highs
        return (word & highs) | control | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) != 0
    }

    mutating func scanEscape() throws {
        guard count - index >= 2 else { throw error("the document ends inside an escape") }
        switch base[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            let unit = try hex4(at: index + 2)
            index += 6
            if (0xD800...0xDBFF).contains(unit) {
                guard count - index >= 6, base[index] == UInt8(ascii: "\\"), base[index + 1] == UInt8(ascii: "u"),
                      (0xDC00...0xDFFF).contains(try hex4(at: index + 2)) else {
                    throw error("a high surrogate escape is not followed by a low one")
                }
                index += 6
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw error("a lone low surrogate escape")
            }
        default:
            throw error("an invalid escape '\\\(Self.printable(base[index + 1]))'")
        }
    }

    func hex4(at position: Int) throws -> UInt32 {
        guard count - position >= 4 else { throw error("the document ends inside a \\u escape") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = Self.hexValue(base[position + offset]) else { throw error("a \\u escape needs four hex digits") }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// One well-formed UTF-8 sequence (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF.
    mutating func scanUTF8() throws {
        let lead = base[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw error("invalid UTF-8")
        }
        guard count - index >= length else { throw error("truncated UTF-8") }
        guard (low...high).contains(base[index + 1]) else { throw error("invalid UTF-8") }
        for offset in 2..<max(length, 2) where !(0x80...0xBF).contains(base[index + offset]) {
            throw error("invalid UTF-8")
        }
        index += length
    }

    /// Resolves the escapes of an already validated string body.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 4 | UInt32(hexValue(raw[at + $1]) ?? 0) }
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            let next = raw[i + 1]
            i += 2
            switch next {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (hex4(i + 2) - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: out.append(next)
            }
        }
        return out
    }
}
