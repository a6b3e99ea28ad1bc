import BullaCrypto

/// A JSON value whose objects keep their key order, so Bulla writes exactly the bytes it means
/// to sign (payloads, bundles, manifests) and never depends on an encoder's choices.
public indirect enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Equal when the serialized bytes are: member order counts, since it changes what is signed.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized == rhs.serialized }
    /// Hashes the serialized bytes, to agree with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(serialized) }

    /// The member `key` of an object (the first, if a hostile document repeats it).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string, or nil for any other kind: the usual way to read an optional text field.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Compact JSON: no whitespace, keys in their stored order, strings escaped as RFC 8259
    /// requires (control characters, quote and backslash; `/` and non-ASCII left as they are).
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// `serialized` as a String, for messages and tests.
    public var text: String { String(decoding: serialized, as: UTF8.self) }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .integer(let n): out += Array(String(n).utf8)
        case .number(let d):
            out += Array((d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)").utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += Array(Hex.encode([byte]).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Codable

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes from any Decoder; object keys are sorted, since decoders promise no order.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: Key.self) {
            // Decoders do not promise an order for keys; sort them so reading is deterministic.
            self = .object(try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                ($0.stringValue, try container.decode(JSONValue.self, forKey: $0))
            })
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !container.isAtEnd { items.append(try container.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Int64.self) { self = .integer(n) }
        else if let d = try? container.decode(Double.self) { self = .number(d) }
        else { self = .string(try container.decode(String.self)) }
    }

    /// Encodes into any Encoder (whose own key order then applies), e.g. inside a Codable report.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let b):
            var container = encoder.singleValueContainer()
            try container.encode(b)
        case .integer(let n):
            var container = encoder.singleValueContainer()
            try container.encode(n)
        case .number(let d):
            var container = encoder.singleValueContainer()
            try container.encode(d)
        case .string(let s):
            var container = encoder.singleValueContainer()
            try container.encode(s)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try container.encode(value, forKey: Key(stringValue: key)) }
        }
    }
}

extension JSONValue {
    /// A string-to-string object, keys sorted (the form annotations take).
    public static func annotations(_ map: [String: String]) -> JSONValue {
        .object(map.keys.sorted().map { ($0, .string(map[$0]!)) })
    }

    /// A descriptor in the member order the image-spec examples use.
    public static func descriptor(_ d: Descriptor) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("mediaType", .string(d.mediaType)), ("digest", .string(d.digest.description)), ("size", .integer(d.size)),
        ]
        if let annotations = d.annotations, !annotations.isEmpty { members.append(("annotations", .annotations(annotations))) }
        if let artifactType = d.artifactType { members.append(("artifactType", .string(artifactType))) }
        if let platform = d.platform {
            var p: [(String, JSONValue)] = [("architecture", .string(platform.architecture)), ("os", .string(platform.os))]
            if let variant = platform.variant { p.append(("variant", .string(variant))) }
            members.append(("platform", .object(p)))
        }
        return .object(members)
    }
}
