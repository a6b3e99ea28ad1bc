import BullaCrypto

/// A strict, single-pass pull reader over JSON bytes.
///
/// Large signed documents (an SBOM predicate of 50 MB and more) are read where they lie: the
/// caller walks the members it wants and skips the rest, and nothing is materialised that the
/// caller does not ask for. Skipping still validates, so a document is either read whole and
/// strictly or refused: RFC 8259 grammar, UTF-8 without lone surrogates, no control characters
/// in strings, no member name twice in one object (two parsers would disagree on which one
/// counts), and at most `maxDepth` levels of nesting.
struct JSONReader {
    enum Kind { case object, array, string, number, bool, null }

    /// A member name as it lies in the input: compared without allocating unless it was
    /// written with escapes.
    struct Name {
        let bytes: UnsafeBufferPointer<UInt8>
        /// The name with escapes resolved, when it had any.
        let decoded: [UInt8]?

        func `is`(_ literal: StaticString) -> Bool {
            let want = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            if let decoded { return decoded.elementsEqual(want) }
            return bytes.count == want.count && memcmp(bytes.baseAddress!, want.baseAddress!, want.count) == 0
        }

        var string: String { decoded.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: bytes, as: UTF8.self) }
    }

    private let base: UnsafePointer<UInt8>
    private let count: Int
    private(set) var index = 0
    private var depth = 0
    private var nameStack: [NameKey] = []
    private let maxDepth: Int
    /// Input this reader validated before (a ``RawJSON``): skipping only matches brackets and
    /// quotes, and names are not compared again. Later passes over a large predicate (its
    /// packages, one field) then cost a fraction of the first.
    private let trusted: Bool
    let what: String

    private init(_ base: UnsafePointer<UInt8>, count: Int, what: String, maxDepth: Int, trusted: Bool) {
        self.base = base
        self.count = count
        self.trusted = trusted
        self.what = what
        self.maxDepth = maxDepth
    }

    /// Runs `body` over `bytes`, then requires that nothing but whitespace follows what it read.
    static func read<Bytes: Collection<UInt8>, T>(
        _ bytes: Bytes, what: String, maxDepth: Int, trusted: Bool = false, _ body: (inout JSONReader) throws -> T
    ) throws -> T {
        let result = try bytes.withContiguousStorageIfAvailable { buffer -> T in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                throw BullaError(.malformedInput, "\(what) is not JSON: it is empty")
            }
            var reader = JSONReader(base, count: buffer.count, what: what, maxDepth: maxDepth, trusted: trusted)
            reader.skipWhitespace()
            guard reader.index < reader.count, reader.startsValue() else {
                throw BullaError(.malformedInput, "\(what) is not JSON: it does not start with a JSON value")
            }
            let value = try body(&reader)
            try reader.finish()
            return value
        }
        if let result { return result }
        return try read(Array(bytes), what: what, maxDepth: maxDepth, trusted: trusted, body)
    }

    /// Validates a whole document whose top level must be an object or an array.
    static func validate<Bytes: Collection<UInt8>>(_ bytes: Bytes, what: String, maxDepth: Int) throws {
        try read(bytes, what: what, maxDepth: maxDepth) { reader in
            let kind = try reader.kind()
            guard kind == .object || kind == .array else {
                throw BullaError(.malformedInput, "\(what) is not JSON: it does not start with '{' or '['")
            }
            try reader.skip()
        }
    }

    // MARK: Errors

    func error(_ reason: String) -> BullaError {
        BullaError(.malformedInput, "\(what) is not valid JSON: \(reason) at byte \(index)")
    }

    /// A value of the wrong type for a member the caller reads.
    func typeError(_ field: @autoclosure () -> String, expected: String) -> BullaError {
        BullaError(.malformedInput, "\(what): \(field()) is not \(expected) (byte \(index))")
    }

    private mutating func finish() throws {
        skipWhitespace()
        guard index == count else { throw error("unexpected bytes after the document") }
    }

    // MARK: Looking

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < count {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    /// The kind of the next value, without consuming it.
    mutating func kind() throws -> Kind {
        skipWhitespace()
        guard index < count else { throw error("the document ends where a value should be") }
        switch base[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character '\(Self.printable(base[index]))'")
        }
    }

    /// Whether a value could start here: text that is not JSON at all is told apart from JSON
    /// that breaks off or goes wrong later.
    private func startsValue() -> Bool {
        func startsWith(_ word: StaticString) -> Bool {
            count - index >= word.utf8CodeUnitCount && memcmp(base + index, word.utf8Start, word.utf8CodeUnitCount) == 0
        }
        switch base[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "t"): return startsWith("true")
        case UInt8(ascii: "f"): return startsWith("false")
        case UInt8(ascii: "n"): return startsWith("null")
        default: return false
        }
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + Hex.encode([byte])
    }

    // MARK: Containers

    /// Reads an object, calling `member` with each name; `member` must read or skip the value.
    mutating func object(_ member: (inout JSONReader, Name) throws -> Void) throws {
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "{") else { throw error("expected an object") }
        try enter()
        index += 1
        var names = NameSet(on: nameStack)
        defer { names.end(&nameStack) }
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let name = try scanName()
            guard trusted || names.insert(name, stack: &nameStack) else {
                throw BullaError(.malformedInput, "\(what) repeats the member \"\(String(name.string.prefix(80)))\" in one object")
            }
            skipWhitespace()
            guard index < count, base[index] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            index += 1
            try member(&self, name)
            skipWhitespace()
            guard index < count else { throw error("the document ends inside an object") }
            if base[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard base[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}' in an object") }
            index += 1
            depth -= 1
            return
        }
    }

    /// Reads an array, calling `element` for each item; `element` must read or skip it.
    mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: "[") else { throw error("expected an array") }
        try enter()
        index += 1
        skipWhitespace()
        if index < count, base[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard index < count else { throw error("the document ends inside an array") }
            if base[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard base[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']' in an array") }
            index += 1
            depth -= 1
            return
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= maxDepth else {
            throw BullaError(.limitExceeded, "\(what) nests JSON deeper than the limit of \(maxDepth) levels")
        }
    }

    // MARK: Scalars

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
    private mutating func skipTrusted() {
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

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private mutating func skipStringTrusted() {
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

    private mutating func literal(_ word: StaticString) throws -> Bool {
        let n = word.utf8CodeUnitCount
        guard count - index >= n, memcmp(base + index, word.utf8Start, n) == 0 else { return false }
        index += n
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func scanNumber() throws -> Range<Int> {
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

    // MARK: Strings

    private mutating func scanName() throws -> Name {
        let (range, escaped) = try scanString()
        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        return Name(bytes: bytes, decoded: escaped ? Self.unescape(bytes) : nil)
    }

    /// Consumes a string starting at its opening quote; returns the range between the quotes and
    /// whether it holds escapes. Eight bytes at a time while none needs a closer look.
    private mutating func scanString() throws -> (Range<Int>, escaped: Bool) {
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
    private static func needsLook(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let control = (word &- ones &* 0x20) & ~word & highs
        return (word & highs) | control | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) != 0
    }

    private mutating func scanEscape() throws {
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

    private func hex4(at position: Int) throws -> UInt32 {
        guard count - position >= 4 else { throw error("the document ends inside a \\u escape") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = Self.hexValue(base[position + offset]) else { throw error("a \\u escape needs four hex digits") }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// One well-formed UTF-8 sequence (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF.
    private mutating func scanUTF8() throws {
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

/// A member name as a set element: equal when the characters are equal.
private struct NameKey: Hashable {
    let hash: UInt64
    let name: JSONReader.Name

    init(_ name: JSONReader.Name) {
        self.name = name
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        if let decoded = name.decoded {
            for byte in decoded { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        } else {
            for byte in name.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        self.hash = hash
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool {
        guard lhs.hash == rhs.hash else { return false }
        switch (lhs.name.decoded, rhs.name.decoded) {
        case (nil, nil): return lhs.name.bytes.elementsEqual(rhs.name.bytes)
        case (let a?, nil): return a.elementsEqual(rhs.name.bytes)
        case (nil, let b?): return lhs.name.bytes.elementsEqual(b)
        case (let a?, let b?): return a == b
        }
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// The member names of one object. Small objects (almost all) are checked by a short linear
/// scan over hashes on a stack the reader reuses, so reading allocates nothing per object;
/// objects with many members switch to a set.
private struct NameSet {
    private var large: Set<NameKey>?
    private let frame: Int

    init(on stack: [NameKey]) { frame = stack.count }

    mutating func insert(_ name: JSONReader.Name, stack: inout [NameKey]) -> Bool {
        let key = NameKey(name)
        if large != nil { return large!.insert(key).inserted }
        for i in frame..<stack.count where stack[i] == key { return false }
        stack.append(key)
        if stack.count - frame > 32 {
            large = Set(stack[frame...])
            stack.removeSubrange(frame...)
        }
        return true
    }

    func end(_ stack: inout [NameKey]) {
        stack.removeSubrange(frame...)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
