import BullaCrypto

/// One JSON object of a protobuf-JSON document, with its path for messages. Members are found
/// by their JSON name or their proto name (`rawBytes` or `raw_bytes`), as protobuf JSON parsers
/// accept both; `null` counts as absent.
struct ProtoJSONObject {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, _ path: String) {
        self.value = value
        self.path = path
    }

    func error(_ name: String, _ reason: String) -> BullaError {
        BullaError(.malformedInput, "\(path).\(name) \(reason)")
    }

    func member(_ name: String) -> JSONValue? {
        let snake = name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
        switch value[name] ?? value[snake] {
        case .null?, nil: return nil
        case let found?: return found
        }
    }

    func optionalString(_ name: String) throws -> String? {
        guard let found = member(name) else { return nil }
        guard case .string(let text) = found else { throw error(name, "is not a string") }
        return text
    }

    func string(_ name: String) throws -> String {
        guard let text = try optionalString(name) else { throw error(name, "is missing") }
        return text
    }

    /// Protobuf `bytes`: base64, standard or URL-safe, line breaks ignored (as Go's protojson),
    /// of at most `max` bytes.
    func bytes(_ name: String, max: Int = TrustedRoot.maxObjectBytes) throws -> [UInt8] {
        let text = Self.unwrapped(try string(name))
        guard text.count <= (max + 2) / 3 * 4 else { throw BullaError(.limitExceeded, "\(path).\(name) is more than \(max) bytes") }
        guard let decoded = Self.base64(text) else { throw error(name, "is not base64") }
        return decoded
    }

    /// The UTF-8 of `text` without line breaks. Bytes 0x0A and 0x0D are only ever those two
    /// characters in UTF-8, so this is the same as filtering scalars (a CRLF pair is one Swift
    /// Character, neither "\r" nor "\n"), without building a String scalar by scalar.
    static func unwrapped(_ text: String) -> [UInt8] {
        text.utf8.filter { $0 != 0x0A && $0 != 0x0D }
    }

    /// A list of protobuf `bytes` (an inclusion proof's hashes); absent means empty.
    func byteList(_ name: String, max: Int) throws -> [[UInt8]] {
        guard let found = member(name) else { return [] }
        guard case .array(let items) = found else { throw error(name, "is not an array") }
        guard items.count <= max else { throw BullaError(.limitExceeded, "\(path).\(name) has \(items.count) entries, more than the limit of \(max)") }
        return try items.enumerated().map { index, item in
            guard case .string(let text) = item, text.utf8.count <= 4 * max, let bytes = Self.base64(Self.unwrapped(text)) else {
                throw error("\(name)[\(index)]", "is not base64")
            }
            return bytes
        }
    }

    /// Protobuf `int64`: a decimal string (how protobuf JSON writes it) or a JSON integer.
    func optionalInteger(_ name: String) throws -> Int64? {
        switch member(name) {
        case nil: return nil
        case .integer(let number)?: return number
        case .string(let text)? where text.utf8.count <= 20:
            guard let number = Int64(text) else { throw error(name, "\"\(text)\" is not an integer") }
            return number
        default: throw error(name, "is not an integer")
        }
    }

    static func base64(_ text: [UInt8]) -> [UInt8]? {
        text.withUnsafeBytes { raw in
            Base64.decode(raw) ?? Base64.decode(raw, alphabet: .urlSafe, paddingRequired: false)
        }
    }

    func optionalObject(_ name: String) throws -> ProtoJSONObject? {
        guard let found = member(name) else { return nil }
        guard case .object = found else { throw error(name, "is not an object") }
        return ProtoJSONObject(found, "\(path).\(name)")
    }

    func object(_ name: String) throws -> ProtoJSONObject {
        guard let found = try optionalObject(name) else { throw error(name, "is missing") }
        return found
    }

    /// A list of objects; absent means empty.
    func list(_ name: String, max: Int = TrustedRoot.maxEntries) throws -> [ProtoJSONObject] {
        guard let found = member(name) else { return [] }
        guard case .array(let items) = found else { throw error(name, "is not an array") }
        guard items.count <= max else { throw BullaError(.limitExceeded, "\(path).\(name) has \(items.count) entries, more than the limit of \(max)") }
        return try items.enumerated().map { index, item in
            guard case .object = item else { throw error("\(name)[\(index)]", "is not an object") }
            return ProtoJSONObject(item, "\(path).\(name)[\(index)]")
        }
    }

    /// An RFC 3339 time in Unix seconds. Fractions are dropped, or round up when `roundingUp`
    /// (a window's start), so a whole-second time is inside exactly when the exact one is.
    func optionalTime(_ name: String, roundingUp: Bool) throws -> Int? {
        guard let text = try optionalString(name) else { return nil }
        guard let seconds = Timestamp.parse(text) else { throw error(name, "\"\(text.prefix(40))\" is not an RFC 3339 time") }
        let fraction = text.drop { $0 != "." }.dropFirst().prefix { $0.isASCII && $0.isNumber }
        return roundingUp && fraction.contains { $0 != "0" } ? seconds + 1 : seconds
    }
}
