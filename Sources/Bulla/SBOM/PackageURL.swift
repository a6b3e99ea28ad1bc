import BullaCrypto

/// A package URL (github.com/package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers#subpath`.
///
/// Policies name packages by purl; two purls name the same package when type, namespace and
/// name agree after the normalisation the purl type prescribes (lower-case type; pypi names
/// lower-case with `_` as `-`; case-insensitive names for the types whose registries are).
public struct PackageURL: Sendable, Hashable, CustomStringConvertible {
    /// The package ecosystem (`maven`, `npm`, `deb`…), lower-case; it picks the version ordering.
    public var type: String
    /// The group, scope or vendor (`org.apache.logging.log4j`, `@angular`), part of ``packageKey``.
    public var namespace: String?
    /// The name, percent-decoded as written; ``packageKey`` normalises it as the type prescribes.
    public var name: String
    /// The version, percent-decoded: what a denial's version range is tested against.
    public var version: String?
    /// Qualifiers (`arch`, `distro`…), kept for printing but never part of identity.
    public var qualifiers: [String: String]
    /// A path inside the package, kept for printing but never part of identity.
    public var subpath: String?

    /// Parses the purl spec's grammar on the UTF-8 bytes (a policy run parses one purl per
    /// package of an SBOM, so this stays cheap).
    public init(parsing text: String) throws {
        try self.init(parsing: text, maxBytes: Self.maxBytes)
    }

    /// The longest purl parsed whole.
    public static let maxBytes = 4096

    private init(parsing text: String, maxBytes: Int) throws {
        func fail(_ reason: String) -> BullaError {
            BullaError(.malformedInput, "package URL \"\(text.prefix(200))\": \(reason)")
        }
        let all = Array(text.utf8)
        guard all.count <= maxBytes else { throw fail("longer than \(maxBytes) bytes") }
        var rest = all[...]
        subpath = nil
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            let segments = rest[(hash + 1)...].split(separator: UInt8(ascii: "/")).filter { !$0.elementsEqual(".".utf8) && !$0.elementsEqual("..".utf8) }
            subpath = segments.isEmpty ? nil : try segments.map { try Self.percentDecoded($0) }.joined(separator: "/")
            rest = rest[..<hash]
        }
        qualifiers = [:]
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            for pair in rest[(question + 1)...].split(separator: UInt8(ascii: "&")) {
                guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else {
                    throw fail("qualifier \"\(String(decoding: pair, as: UTF8.self))\" has no value")
                }
                let value = try Self.percentDecoded(pair[(equals + 1)...])
                if !value.isEmpty { qualifiers[String(decoding: pair[..<equals], as: UTF8.self).lowercased()] = value }
            }
            rest = rest[..<question]
        }
        guard rest.count >= 4, rest.prefix(4).map({ $0 | 0x20 }).elementsEqual("pkg:".utf8) else { throw fail("it does not start with pkg:") }
        rest = rest.dropFirst(4)
        while rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
        version = nil
        if let at = rest.lastIndex(of: UInt8(ascii: "@")), rest[..<at].contains(UInt8(ascii: "/")) {
            version = try Self.percentDecoded(rest[(at + 1)...])
            rest = rest[..<at]
        }
        var segments = rest.split(separator: UInt8(ascii: "/"))
        guard segments.count >= 2 else { throw fail("a type and a name are required") }
        let typeBytes = segments.removeFirst()
        let type = String(decoding: typeBytes, as: UTF8.self).lowercased()
        guard let first = typeBytes.first, Self.isLetter(first),
              typeBytes.allSatisfy({ Self.isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || "+-.".utf8.contains($0) }) else {
            throw fail("type \"\(type)\" is not a purl type")
        }
        self.type = type
        name = try Self.percentDecoded(segments.removeLast())
        guard !name.isEmpty else { throw fail("the name is empty") }
        namespace = segments.isEmpty ? nil : try segments.map { try Self.percentDecoded($0) }.joined(separator: "/")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// The package this purl names, whatever its version: the key a denial matches on.
    public var packageKey: String {
        var name = self.name
        var namespace = self.namespace
        switch type {
        case "pypi":
            name = name.lowercased().replacingUnderscores()
        case "npm", "deb", "apk", "alpm", "rpm", "golang", "github", "bitbucket", "hex", "composer", "cargo", "gem":
            name = name.lowercased()
            namespace = namespace?.lowercased()
        case "swift":
            // The namespace is the repository's host and path, which SwiftPM (and so an SBOM
            // generator) may spell with a `.git` suffix and in any case; both name one repository.
            namespace = namespace.map { namespace in
                let lower = namespace.lowercased()
                return lower.hasSuffix(".git") ? String(lower.dropLast(4)) : lower
            }
        default:
            break
        }
        return "pkg:\(type)/" + (namespace.map { "\($0)/" } ?? "") + name
    }

    /// The canonical purl text: percent-encoded, qualifiers sorted, as messages show it.
    public var description: String {
        var text = "pkg:\(type)/" + (namespace.map { Self.percentEncoded($0, keepSlash: true) + "/" } ?? "") + Self.percentEncoded(name, keepSlash: false)
        if let version { text += "@" + Self.percentEncoded(version, keepSlash: false) }
        if !qualifiers.isEmpty {
            text += "?" + qualifiers.keys.sorted().map { "\($0)=\(Self.percentEncoded(qualifiers[$0]!, keepSlash: true))" }.joined(separator: "&")
        }
        if let subpath { text += "#" + Self.percentEncoded(subpath, keepSlash: true) }
        return text
    }

    private static func percentDecoded(_ text: ArraySlice<UInt8>) throws -> String {
        guard text.contains(UInt8(ascii: "%")) else { return String(decoding: text, as: UTF8.self) }
        var out: [UInt8] = []
        var bytes = text
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard bytes.count >= 2, let value = Hex.decodeLowercase(Array(bytes.prefix(2)).map { $0 | 0x20 })?.first else {
                throw BullaError(.malformedInput, "package URL has a malformed percent escape in \"\(String(decoding: text.prefix(80), as: UTF8.self))\"")
            }
            out.append(value)
            bytes = bytes.dropFirst(2)
        }
        guard let decoded = String(validating: out, as: UTF8.self) else {
            throw BullaError(.malformedInput, "package URL escape is not UTF-8 in \"\(String(decoding: text.prefix(80), as: UTF8.self))\"")
        }
        return decoded
    }

    private static func percentEncoded(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) || (keepSlash && byte == UInt8(ascii: "/")) || byte == UInt8(ascii: ":") {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }
}

extension PackageURL {
    /// A package's purl read as far as it can be: whole when it parses, else the type,
    /// namespace, name and (when readable) version before its qualifiers and subpath. Policies
    /// judge a package by this, so a malformed qualifier cannot hide a denied package.
    public struct Reading: Sendable {
        /// The purl, or the parts of it that could be read; nil when not even the type and name
        /// can be.
        public var readable: PackageURL?
        /// Why the purl does not parse whole; nil when it does.
        public var failure: String?

        /// Reads `text` whole if it parses, else as many leading parts as can be read.
        public init(_ text: String) {
            do {
                readable = try PackageURL(parsing: text)
                failure = nil
            } catch {
                failure = BullaError.describe(error)
                readable = PackageURL(readingPartsOf: text)
            }
        }
    }

    /// The parts before `?` and `#`, without the version when that is what cannot be read.
    init?(readingPartsOf text: String) {
        let core = String(decoding: text.utf8.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }, as: UTF8.self)
        if let parsed = try? PackageURL(parsing: core, maxBytes: .max) {
            self = parsed
            return
        }
        guard let at = core.lastIndex(of: "@"), core[..<at].contains("/"),
              let parsed = try? PackageURL(parsing: String(core[..<at]), maxBytes: .max) else { return nil }
        self = parsed
    }
}

private extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" || $0 == "." ? "-" : $0 }) }
}
