import BullaCrypto

/// A JSON value kept as the exact bytes it was read from, after validation.
///
/// Signed predicates stay in this form: verification reads what it needs from the bytes (the
/// packages of an SBOM, one field by JSON Pointer) without building a tree of the whole
/// document, and printing the predicate prints what was signed.
public struct RawJSON: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Validated JSON, without surrounding whitespace.
    public let bytes: ArraySlice<UInt8>

    /// Wraps bytes a ``JSONReader`` has already validated.
    init(validated bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    /// The compact serialization of `value`, for predicates built in code rather than read.
    public init(_ value: JSONValue) {
        bytes = value.serialized[...]
    }

    /// Validates one JSON value of any kind; `what` names the input in errors.
    public init(validating bytes: [UInt8], what: String, limits: Limits = .default) throws {
        let range = try JSONReader.read(bytes, what: what, maxDepth: limits.maxJSONDepth) { try $0.raw() }
        self.bytes = bytes[range]
    }

    /// Whether the value is an object, which an attestation predicate must be.
    public var isObject: Bool { bytes.first == UInt8(ascii: "{") }

    /// The value as a tree, for small documents.
    public func value(limits: Limits = .default) throws -> JSONValue {
        try read(what: "JSON value", limits: limits) { try $0.value() }
    }

    /// Runs a reader over the bytes, which were validated when this value was made.
    func read<T>(what: String, limits: Limits = .default, _ body: (inout JSONReader) throws -> T) throws -> T {
        try JSONReader.read(bytes, what: what, maxDepth: limits.maxJSONDepth, trusted: true, body)
    }

    /// The bytes as text, exactly as read: what `verify-attestation` prints.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// Decodes through ``JSONValue`` (keys sorted): a re-serialization, not the bytes first read.
    public init(from decoder: any Decoder) throws {
        self.init(try JSONValue(from: decoder))
    }

    /// Encodes as the JSON value itself, not a string, inside a Codable report.
    public func encode(to encoder: any Encoder) throws {
        try value().encode(to: encoder)
    }
}

extension JSONValue {
    /// Parses a JSON document with the strict reader (grammar, UTF-8, depth, repeated names);
    /// object members keep their document order.
    public init(parsing bytes: some Collection<UInt8>, what: String, limits: Limits = .default) throws {
        self = try JSONReader.read(bytes, what: what, maxDepth: limits.maxJSONDepth) { try $0.value() }
    }
}
