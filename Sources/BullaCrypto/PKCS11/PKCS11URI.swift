/// A PKCS #11 URI (RFC 7512): which module, token and object a key is, and where the token's
/// PIN comes from, e.g. `pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`.
///
/// Read strictly: an attribute RFC 7512 does not define (other than a vendor `x-` one), an
/// attribute given twice, bad percent-encoding, `pin-source` with `pin-value`, or a URI longer
/// than ``maxLength`` is refused. ``description`` never shows `pin-value`.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// The longest URI read: real ones are a few hundred bytes.
    public static let maxLength = 4096

    /// The path attributes RFC 7512 §2.3 defines.
    public static let pathAttributes: Set<String> = [
        "token", "manufacturer", "serial", "model", "library-manufacturer", "library-description", "library-version",
        "object", "type", "id", "slot-manufacturer", "slot-description", "slot-id",
    ]
    /// The query attributes RFC 7512 §2.3 defines.
    public static let queryAttributes: Set<String> = ["pin-source", "pin-value", "module-name", "module-path"]

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
        if let type = self.text("type"), !["private", "public", "cert", "secret-key", "data"].contains(type) {
            throw BullaError(.invalidArgument, "pkcs11: type=\(type) is not one of private, public, cert, secret-key, data")
        }
        if let slot = self.text("slot-id"), UInt(slot) == nil {
            throw BullaError(.invalidArgument, "pkcs11: slot-id=\(slot) is not a decimal number")
        }
    }

    private static func attributes(_ text: Substring, separator: Character, known: Set<String>, part: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for item in text.split(separator: separator, omittingEmptySubsequences: true) {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            guard pair.count == 2 else { throw BullaError(.invalidArgument, "pkcs11: \(part) attribute \"\(name.printableASCII)\" has no value") }
            guard known.contains(name) || name.hasPrefix("x-") else {
                throw BullaError(.invalidArgument, "pkcs11: \"\(name.printableASCII)\" is not a \(part) attribute of RFC 7512 (\(known.sorted().joined(separator: ", ")))")
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

    /// A path or query attribute as UTF-8 text; nil when absent or not UTF-8.
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

    /// The URI as given but for `pin-value`, shown as `pin-value=***`: safe for messages and logs.
    public var description: String {
        func encode(_ bytes: [UInt8]) -> String {
            bytes.map { byte in
                let safe = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~:/".utf8.contains(byte)
                return safe ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }.joined()
        }
        let pathText = path.keys.sorted().map { "\($0)=\(encode(path[$0]!))" }.joined(separator: ";")
        let queryText = query.keys.sorted().map { $0 == "pin-value" ? "pin-value=***" : "\($0)=\(encode(query[$0]!))" }.joined(separator: "&")
        return "pkcs11:" + pathText + (queryText.isEmpty ? "" : "?" + queryText)
    }
}

private extension String {
    /// Two hex digits.
    var leftPadded: String { count < 2 ? "0" + self : self }

    /// ASCII letters, digits and punctuation only, for attribute names in messages.
    var printableASCII: String { String(unicodeScalars.filter { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }.prefix(64)) }
}
