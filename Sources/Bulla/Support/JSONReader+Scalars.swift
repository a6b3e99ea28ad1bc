#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BullaCrypto

/// Strings, literals, numbers and skipping: the values inside containers.
extension JSONReader {
    /// A string value.
    mutating func string() throws -> String {
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        let (range, escaped) = try scanString()
        let raw = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        return escaped ? String(decoding: Self.unescape(raw), as: UTF8.self) : String(decoding: raw, as: UTF8.self)
    }

    /// A string's raw bytes between the quotes, for values (base64) that never need escapes;
    /// a string with escapes is refused as `what` says.
    mutating func unescapedStringBytes(_ field: @autoclosure () -> String) throws -> UnsafeBufferPointer<UInt8> {
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "\"") else { throw typeError(field(), expected: "a string") }
        let (range, escaped) = try scanString()
        guard !escaped else { throw BullaError(.malformedInput, "\(what): \(field()) contains escapes") }
        return UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// A string, or nil for `null`; any other type is refused naming `field`.
    /// `field` is only built for the error: a large SBOM reads a million of these.
    mutating func optionalString(_ field: @autoclosure () -> String) throws -> String? {
        switch try kind() {
        case .string: return try string()
        case .null:
            guard try literal("null") else { throw error("expected null") }
            return nil
        default: throw typeError(field(), expected: "a string")
        }
    }

    mutating func bool() throws -> Bool {
        skipWhitespace()
        if try literal("true") { return true }
        if try literal("false") { return false }
        throw error("expected true or false")
    }

    /// Skips one value of any kind, validating it (unless the input is trusted).
    mutating func skip() throws {
        if trusted { return skipTrusted() }
        switch try kind() {
        case .object: try object { reader, _ in try reader.skip() }
        case .array: try array { reader in try reader.skip() }
        case .string: _ = try scanString()
        case .number: _ = try scanNumber()
        case .bool: _ = try bool()
        case .null: guard try literal("null") else { throw error("expected null") }
        }
    }

    /// Skips a value of input already validated: brackets are counted outside strings, and
    /// strings are crossed eight bytes at a time looking only for quotes and backslashes.
    mutating func skipTrusted() {
        skipWhitespace()
        var level = 0
        repeat {
            switch base[index] {
            case UInt8(ascii: "\""):
                skipStringTrusted()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                level += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                level -= 1
            case UInt8(ascii: ","), UInt8(ascii: ":"), 0x20, 0x0A, 0x0D, 0x09:
                break
            default:
                // A number or literal: up to the next delimiter.
                while index < count, !Self.isDelimiter(base[index]) { index += 1 }
                continue
            }
            index += 1
        } while level > 0 && index < count
    }

    static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    mutating func skipStringTrusted() {
        index += 1
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while true {
            while count - index >= 8 {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let quote = word ^ (ones &* 0x22), slash = word ^ (ones &* 0x5C)
                if ((quote &- ones) & ~quote | (slash &- ones) & ~slash) & highs != 0 { break }
                index += 8
            }
            switch base[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 2
            default:
                index += 1
            }
        }
    }

    /// Skips one value and returns where its bytes lie.
    mutating func raw() throws -> Range<Int> {
        skipWhitespace()
        let start = index
        try skip()
        return start..<index
    }

    /// Reads one value into a ``JSONValue``; object members keep their document order.
    mutating func value() throws -> JSONValue {
        switch try kind() {
        case .object:
            var members: [(String, JSONValue)] = []
            try object { reader, name in members.append((name.string, try reader.value())) }
            return .object(members)
        case .array:
            var items: [JSONValue] = []
            try array { reader in items.append(try reader.value()) }
            return .array(items)
        case .string: return .string(try string())
        case .bool: return .bool(try bool())
        case .null:
            guard try literal("null") else { throw error("expected null") }
            return .null
        case .number:
            let range = try scanNumber()
            let text = String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
            if let integer = Int64(text) { return .integer(integer) }
            guard let double = Double(text), double.isFinite else { throw error("number \(text.prefix(40)) is out of range") }
            return .number(double)
        }
    }

    mutating func literal(_ word: StaticString) throws -> Bool {
        let n = word.utf8CodeUnitCount
        guard count - index >= n, memcmp(base + index, word.utf8Start, n) == 0 else { return false }
        index += n
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func scanNumber() throws -> Range<Int> {
        let start = index
        if base[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ reader: inout JSONReader) -> Int {
            let from = reader.index
            while reader.index < reader.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.base[reader.index]) { reader.index += 1 }
            return reader.index - from
        }
        let whole = index
        let n = digits(&self)
        guard n > 0 else { throw error("a number needs digits") }
        guard n == 1 || base[whole] != UInt8(ascii: "0") else { throw error("a number has a leading zero") }
        if index < count, base[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("a number needs digits after '.'") }
        }
        if index < count, base[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("a number needs digits in its exponent") }
        }
        return start..<index
    }
}
