import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    let base: UnsafePointer<UInt8>
    let count: Int
    var index = 0
    var depth = 0
    var nameStack: [NameKey] = []
    let maxDepth: Int
    /// Input this reader validated before (a ``RawJSON``): skipping only matches brackets and
    /// quotes, and names are not compared again. Later passes over a large predicate (its
    /// packages, one field) then cost a fraction of the first.
    let trusted: Bool
    let what: String

    init(_ base: UnsafePointer<UInt8>, count: Int, what: String, maxDepth: Int, trusted: Bool) {
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

    mutating func finish() throws {
        skipWhitespace()
        guard index == count else { throw error("unexpected bytes after the document") }
    }

    // MARK: Looking

    @inline(__always)
    mutating func skipWhitespace() {
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
    func startsValue() -> Bool {
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

    static func printable(_ byte: UInt8) -> String {
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
            guard try another(closedBy: "}", in: "an object") else { return }
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
        repeat {
            try element(&self)
        } while try another(closedBy: "]", in: "an array")
    }

    /// After a member or an element: true when a `,` says another follows; false once `close`
    /// ends the container (left, one level up). Anything else is refused.
    private mutating func another(closedBy close: Unicode.Scalar, in container: String) throws -> Bool {
        skipWhitespace()
        guard index < count else { throw error("the document ends inside \(container)") }
        if base[index] == UInt8(ascii: ",") {
            index += 1
            return true
        }
        guard base[index] == UInt8(ascii: close) else { throw error("expected ',' or '\(close)' in \(container)") }
        index += 1
        depth -= 1
        return false
    }

    mutating func enter() throws {
        depth += 1
        guard depth <= maxDepth else {
            throw BullaError(.limitExceeded, "\(what) nests JSON deeper than the limit of \(maxDepth) levels")
        }
    }
}
