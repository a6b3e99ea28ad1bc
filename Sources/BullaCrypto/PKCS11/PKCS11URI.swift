/// A PKCS #11 URI (RFC 7512): which module, token and object a key is, and where the token's
/// PIN comes from, e.g. `pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`.
///
/// Read strictly, because a URI that matched more loosely than it reads could sign with another
/// token's key: an attribute RFC 7512 does not define, one Bulla does not match on
/// (``unmatched``), one given twice, bad percent-encoding, text that is not UTF-8 or holds a NUL,
/// `type` other than `private`, `pin-source` with `pin-value`, or more than ``maxLength`` bytes is
/// refused. Nothing printed ever shows `pin-value`.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// The longest URI read: real ones are a few hundred bytes.
    public static let maxLength = 4096

    /// The path attributes Bulla matches on.
    public static let pathAttributes: Set<String> = ["token", "manufacturer", "serial", "model", "slot-id", "object", "id", "type"]
    /// The query attributes Bulla reads.
    public static let queryAttributes: Set<String> = ["pin-source", "pin-value", "module-path"]
    /// RFC 7512 attributes Bulla does not match on: refused rather than ignored, so a URI never
    /// selects more than it says. Vendor `x-` attributes are refused the same way.
    public static let unmatched: Set<String> = [
        "library-manufacturer", "library-description", "library-version", "slot-manufacturer", "slot-description", "module-name",
    ]

    /// Path attributes, percent-decoded (`id` is bytes; the others UTF-8 text).
    public private(set) var path: [String: [UInt8]]
    /// Query attributes, percent-decoded.
    public private(set) var query: [String: [UInt8]]

    /// This URI naming the object by `id` as well.
    public func with(id: [UInt8]) -> PKCS11URI {
        var copy = self
        copy.path["id"] = id
        return copy
    }

    /// This URI without `pin-value`: what a report may give back to be used again.
    public var withoutPINValue: PKCS11URI {
        var copy = self
        copy.query["pin-value"] = nil
        return copy
    }

    /// Parses `text`; the scheme is case-insensitive, attribute names are not.
    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maxLength else {
            throw BullaError(.limitExceeded, "a pkcs11: URI is at most \(Self.maxLength) bytes")
        }
        guard text.lowercased().hasPrefix("pkcs11:") else { throw BullaError(.invalidArgument, "a PKCS #11 URI starts with pkcs11:") }
        let rest = text.dropFirst("pkcs11:".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = try Self.attributes(parts[0], separator: ";", known: Self.pathAttributes, part: "path")
        query = parts.count > 1 ? try Self.attributes(parts[1], separator: "&", known: Self.queryAttributes, part: "query") : [:]
        if query["pin-source"] != nil, query["pin-value"] != nil {
            throw BullaError(.invalidArgument, "a pkcs11: URI gives pin-source or pin-value, not both")
        }
        // Text attributes are UTF-8 without NUL: a label that is not text would be matched as
        // absent, and a NUL would cut a path short where the C library reads it.
        for (name, value) in path.merging(query, uniquingKeysWith: { first, _ in first }) where name != "id" && name != "pin-value" {
            guard String(validating: value, as: UTF8.self) != nil, !value.contains(0) else {
                throw BullaError(.invalidArgument, "pkcs11: \(name) is not UTF-8 text without NUL bytes")
            }
        }
        if let type = self.text("type"), type != "private" {
            throw BullaError(.invalidArgument, "pkcs11: Bulla signs with private keys: type=\(Self.redacting(type).prefix(40)) does not name one (give type=private or leave it out)")
        }
        if let slot = self.text("slot-id"), UInt(slot) == nil {
            throw BullaError(.invalidArgument, "pkcs11: slot-id is not a decimal number")
        }
    }

    private static func attributes(_ text: Substring, separator: Character, known: Set<String>, part: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for item in text.split(separator: separator, omittingEmptySubsequences: true) {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            guard pair.count == 2 else { throw BullaError(.invalidArgument, "pkcs11: \(part) attribute \"\(name.printableASCII)\" has no value") }
            guard known.contains(name) else {
                if unmatched.contains(name) || name.hasPrefix("x-") {
                    throw BullaError(.invalidArgument, "pkcs11: Bulla does not match on \(name.printableASCII): remove it from the URI")
                }
                throw BullaError(.invalidArgument, "pkcs11: \"\(name.printableASCII)\" is not a \(part) attribute Bulla reads (\(known.sorted().joined(separator: ", ")))")
            }
            guard out[name] == nil else { throw BullaError(.invalidArgument, "pkcs11: \(name) is given twice") }
            out[name] = try percentDecoded(pair[1], name: name)
        }
        return out
    }

    /// RFC 3986 percent-decoding: `%` and two hex digits, anything else as it is.
    private static func percentDecoded(_ text: Substring, name: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first {
            bytes = bytes.dropFirst()
            guard first == UInt8(ascii: "%") else { out.append(first); continue }
            guard bytes.count >= 2, let high = hexValue(bytes[bytes.startIndex]), let low = hexValue(bytes[bytes.startIndex + 1]) else {
                throw BullaError(.invalidArgument, "pkcs11: \(name) has a % not followed by two hex digits")
            }
            out.append(high << 4 | low)
            bytes = bytes.dropFirst(2)
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A path or query attribute as UTF-8 text; nil when absent.
    public func text(_ name: String) -> String? {
        guard let bytes = path[name] ?? query[name] else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The token's label (`token=`).
    public var token: String? { text("token") }
    /// The key object's label (`object=`).
    public var object: String? { text("object") }
    /// The key object's `CKA_ID` (`id=`, percent-encoded bytes).
    public var id: [UInt8]? { path["id"] }
    /// The module to load: `module-path=`, else nil (the caller falls back to BULLA_PKCS11_MODULE).
    public var modulePath: String? { text("module-path") }
    /// `pin-source=`: a `file:` URI or path the PIN is read from.
    public var pinSource: String? { text("pin-source") }
    /// `pin-value=`: the PIN itself. Never printed; its use is discouraged (spec/keys.md).
    public var pinValue: [UInt8]? { query["pin-value"] }

    /// The URI in RFC 7512's syntax, `pin-value` shown as `pin-value=***`: safe for messages and logs.
    public var description: String {
        // Path values may not hold "/" or "?" unencoded; query values may.
        func encode(_ bytes: [UInt8], query: Bool) -> String {
            bytes.map { byte in
                let unreserved = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~".utf8.contains(byte)
                let allowed = unreserved || ":[]@!$'()*+,".utf8.contains(byte) || (query && "/?|".utf8.contains(byte))
                return allowed ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }.joined()
        }
        let pathText = path.keys.sorted().map { "\($0)=\(encode(path[$0]!, query: false))" }.joined(separator: ";")
        let queryText = query.keys.sorted().map { $0 == "pin-value" ? "pin-value=***" : "\($0)=\(encode(query[$0]!, query: true))" }.joined(separator: "&")
        return "pkcs11:" + pathText + (queryText.isEmpty ? "" : "?" + queryText)
    }

    /// `text` with anything after `pin-value=` up to the next separator shown as `***`: for
    /// messages that must quote text a user typed (a mistyped URI can hide its PIN anywhere).
    public static func redacting(_ text: String) -> String {
        let marker = Array("pin-value=".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= marker.count else { return text }
        let stops = Set("&;?#\" \n".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: marker) {
                out += marker + Array("***".utf8)
                index += marker.count
                while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

private extension String {
    /// ASCII letters, digits and punctuation only, for attribute names in messages.
    var printableASCII: String { String(unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.prefix(64)) }
}
