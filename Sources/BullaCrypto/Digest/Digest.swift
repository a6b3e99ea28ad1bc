import COpenSSL
/// A content digest in the OCI `algorithm:encoded` form (image-spec descriptor.md, "Digests").
///
/// The value holds the raw bytes, so equality is a byte comparison and no two spellings of one
/// digest exist: parsing refuses upper-case hex, wrong lengths, whitespace and every other form
/// the grammar or the registered algorithm forbids.
public struct Digest: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible, Codable {
    /// The hash function, which fixes the length of `bytes` and the `algorithm:` prefix.
    public let algorithm: DigestAlgorithm
    /// The raw digest, `algorithm.byteCount` bytes.
    public let bytes: [UInt8]

    /// Wraps raw digest bytes. Throws unless their length fits the algorithm.
    public init(algorithm: DigestAlgorithm, bytes: [UInt8]) throws {
        guard bytes.count == algorithm.byteCount else {
            throw BullaError(
                .malformedInput,
                "\(algorithm.rawValue) digest must be \(algorithm.byteCount) bytes, got \(bytes.count)")
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Parses `algorithm:encoded`, refusing anything but the canonical form.
    ///
    /// The grammar is the image-spec's: `algorithm` is lower-case components joined by `+._-`,
    /// `encoded` is `[a-zA-Z0-9=_-]+`. A grammatical digest of an algorithm Bulla does not know
    /// is `.unsupported`; everything else that is wrong is `.malformedInput`.
    public init(parsing text: String) throws {
        let utf8 = Array(text.utf8)
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw BullaError(.malformedInput, "digest \(Self.quoted(text)) has no ':' between algorithm and hex")
        }
        let name = utf8[..<colon]
        let encoded = utf8[(colon + 1)...]
        guard Self.isAlgorithmGrammar(name), !encoded.isEmpty, encoded.allSatisfy(Self.isEncodedByte) else {
            throw BullaError(.malformedInput, "digest \(Self.quoted(text)) is not of the form algorithm:encoded")
        }
        guard let algorithm = DigestAlgorithm(rawValue: String(decoding: name, as: UTF8.self)) else {
            throw BullaError(
                .unsupported,
                "digest algorithm \(Self.quoted(String(decoding: name, as: UTF8.self))) is not supported (sha256, sha384, sha512)")
        }
        guard encoded.count == algorithm.byteCount * 2 else {
            throw BullaError(
                .malformedInput,
                "\(algorithm.rawValue) digest must have \(algorithm.byteCount * 2) hex digits, got \(encoded.count)")
        }
        guard let bytes = Hex.decodeLowercase(encoded) else {
            throw BullaError(.malformedInput, "digest \(Self.quoted(text)) must be lower-case hex after '\(algorithm.rawValue):'")
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// `LosslessStringConvertible`: nil for anything `init(parsing:)` refuses, to test text quietly.
    public init?(_ description: String) {
        try? self.init(parsing: description)
    }

    /// Lower-case hex of the raw bytes.
    public var hex: String { Hex.encode(bytes) }

    /// `algorithm:hex`, the form manifests and registries use.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// `algorithm:` and the first 12 hex digits, for messages meant for people.
    public var abbreviated: String { "\(algorithm.rawValue):\(hex.prefix(12))" }

    /// The SHA-256 of `buffer` as bytes, by the fastest path (no context object is kept).
    public static func sha256(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, initialized in
            sha256(buffer, into: UnsafeMutableRawBufferPointer(out))
            initialized = 32
        }
    }

    /// The SHA-256 of `buffer` written into the first 32 bytes of `out`, which must hold them.
    public static func sha256(_ buffer: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 32, "a SHA-256 digest needs 32 bytes")
        guard bulla_sha256(buffer.baseAddress, buffer.count, out.baseAddress?.assumingMemoryBound(to: UInt8.self)) == 1 else {
            fatalError("SHA-256 failed")
        }
    }

    /// The one-shot digest of `data`, equal to a StreamingDigest fed the same bytes in any chunks.
    public static func compute<Bytes: Sequence<UInt8>>(_ algorithm: DigestAlgorithm = .sha256, over data: Bytes) -> Digest {
        var hasher = StreamingDigest(algorithm)
        hasher.update(data)
        return hasher.finalize()
    }

    /// Decodes the `algorithm:hex` string of a JSON document, as strictly as `init(parsing:)`.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    /// Encodes as the `algorithm:hex` string manifests and descriptors carry.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: grammar

    private static func isAlgorithmGrammar(_ bytes: ArraySlice<UInt8>) -> Bool {
        // component ([+._-] component)*, component = [a-z0-9]+
        var previousWasSeparator = true
        for byte in bytes {
            let isComponentByte = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            if isComponentByte {
                previousWasSeparator = false
            } else if "+._-".utf8.contains(byte), !previousWasSeparator {
                previousWasSeparator = true
            } else {
                return false
            }
        }
        return !previousWasSeparator
    }

    private static func isEncodedByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func quoted(_ text: String) -> String {
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return "\"\(shown.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined())\""
    }
}
