import BullaCrypto

/// The packages of an SPDX 2.x or CycloneDX 1.x JSON document, read in one pass over its bytes.
///
/// Only what policies need is kept (``SBOMPackage``); every other member is validated and
/// skipped, so a document of 50 MB costs its own bytes plus the package list, never a tree.
public struct SBOM: Sendable {
    /// Which standard and version the document follows, reported with its packages.
    public enum Format: Sendable, Hashable, CustomStringConvertible {
        /// `spdxVersion`, e.g. `SPDX-2.3`.
        case spdx(String)
        /// `specVersion`, e.g. `1.6`.
        case cyclonedx(String)

        /// `SPDX-2.3` or `CycloneDX 1.6`: the format as `bulla sbom` reports it.
        public var description: String {
            switch self {
            case .spdx(let version): version
            case .cyclonedx(let version): "CycloneDX \(version)"
            }
        }
    }

    /// Which standard the packages were read from.
    public var format: Format
    /// Every package listed, in document order: what package and licence denials are checked over.
    public var packages: [SBOMPackage]
    /// When the document says it was made: SPDX `creationInfo.created`, CycloneDX
    /// `metadata.timestamp` (RFC 3339, as written).
    public var created: String?

    /// An SBOM from packages already known (tests, other readers).
    public init(format: Format, packages: [SBOMPackage], created: String? = nil) {
        self.format = format
        self.packages = packages
        self.created = created
    }

    /// Reads a document, telling SPDX from CycloneDX by `spdxVersion` / `bomFormat` wherever in
    /// the object they appear.
    public init(reading document: RawJSON, what: String = "SBOM", limits: Limits = .default) throws {
        var spdxVersion: String?, bomFormat: String?, specVersion: String?
        var spdxPackages: [SBOMPackage]?, components: [SBOMPackage]?
        var created: String?
        try document.read(what: what, limits: limits) { reader in
            try reader.object { reader, name in
                if name.is("spdxVersion") {
                    spdxVersion = try reader.optionalString("spdxVersion")
                } else if name.is("bomFormat") {
                    bomFormat = try reader.optionalString("bomFormat")
                } else if name.is("specVersion") {
                    specVersion = try reader.optionalString("specVersion")
                } else if name.is("packages") {
                    var list: [SBOMPackage] = []
                    var index = 0
                    try reader.array { reader in
                        list += try Self.spdxPackages(&reader, index: index)
                        index += 1
                    }
                    spdxPackages = list
                } else if name.is("components") {
                    var list: [SBOMPackage] = []
                    try Self.components(&reader, into: &list, path: "components")
                    components = list
                } else if name.is("creationInfo") || name.is("metadata") {
                    let field = name.is("creationInfo") ? "created" : "timestamp"
                    try Self.expectObject(&reader, name.string)
                    try reader.object { reader, member in
                        if member.string == field { created = try reader.optionalString("\(name.string).\(field)") } else { try reader.skip() }
                    }
                } else {
                    try reader.skip()
                }
            }
        }
        switch (spdxVersion, bomFormat) {
        case (let version?, nil):
            guard version.hasPrefix("SPDX-2.") else {
                throw BullaError(.unsupported, "\(what) is \(version); SPDX 2.2 and 2.3 JSON are read")
            }
            guard components == nil else { throw BullaError(.malformedInput, "\(what) is SPDX but has CycloneDX components") }
            self.init(format: .spdx(version), packages: spdxPackages ?? [], created: created)
        case (nil, let format?):
            guard format == "CycloneDX" else { throw BullaError(.malformedInput, "\(what) bomFormat is \"\(format)\", not CycloneDX") }
            guard let specVersion, specVersion.hasPrefix("1.") else {
                throw BullaError(.unsupported, "\(what) CycloneDX specVersion is \(specVersion ?? "missing"); 1.x JSON is read")
            }
            guard spdxPackages == nil else { throw BullaError(.malformedInput, "\(what) is CycloneDX but has SPDX packages") }
            self.init(format: .cyclonedx(specVersion), packages: components ?? [], created: created)
        case (nil, nil):
            throw BullaError(.unsupported, "\(what) is neither SPDX (no spdxVersion) nor CycloneDX (no bomFormat)")
        case (_?, _?):
            throw BullaError(.malformedInput, "\(what) has both spdxVersion and bomFormat")
        }
    }

    private static func expectObject(_ reader: inout JSONReader, _ field: @autoclosure () -> String) throws {
        guard try reader.kind() == .object else { throw reader.typeError(field(), expected: "an object") }
    }

    // MARK: SPDX 2.x

    /// A `packages` entry: name, versionInfo, the purl external references, the concluded
    /// (else declared) licence, the supplier. A package with several purls is one package per
    /// purl, so a harmless first purl cannot hide a denied second one.
    private static func spdxPackages(_ reader: inout JSONReader, index: Int) throws -> [SBOMPackage] {
        var field: String { "packages[\(index)]" }
        try expectObject(&reader, field)
        var name: String?, version: String?, purls: [String] = [], concluded: String?, declared: String?, supplier: String?
        try reader.object { reader, member in
            if member.is("name") {
                name = try reader.optionalString("\(field).name")
            } else if member.is("versionInfo") {
                version = try reader.optionalString("\(field).versionInfo")
            } else if member.is("licenseConcluded") {
                concluded = try reader.optionalString("\(field).licenseConcluded")
            } else if member.is("licenseDeclared") {
                declared = try reader.optionalString("\(field).licenseDeclared")
            } else if member.is("supplier") {
                supplier = try reader.optionalString("\(field).supplier")
            } else if member.is("externalRefs") {
                try reader.array { reader in
                    var type: String?, locator: String?
                    try expectObject(&reader, "\(field).externalRefs")
                    try reader.object { reader, ref in
                        if ref.is("referenceType") {
                            type = try reader.optionalString("\(field).externalRefs.referenceType")
                        } else if ref.is("referenceLocator") {
                            locator = try reader.optionalString("\(field).externalRefs.referenceLocator")
                        } else {
                            try reader.skip()
                        }
                    }
                    if type == "purl", let locator, !purls.contains(locator) { purls.append(locator) }
                }
            } else {
                try reader.skip()
            }
        }
        guard let name else { throw BullaError(.malformedInput, "SBOM \(field) has no name") }
        let license = spdxLicense(concluded) ?? spdxLicense(declared), named = supplier.flatMap(actorName)
        return (purls.isEmpty ? [nil] : purls.map(Optional.some)).map { purl in
            SBOMPackage(name: name, version: version, purl: purl, license: license, supplier: named)
        }
    }

    /// A licence field, or nil for `NOASSERTION`/`NONE` (no licence information).
    private static func spdxLicense(_ value: String?) -> String? {
        guard let value, value != "NOASSERTION", value != "NONE", !value.isEmpty else { return nil }
        return value
    }

    /// `Organization: Name (mail)` → `Name`; nil for `NOASSERTION`. Works on the UTF-8 bytes:
    /// a large SBOM has one supplier per package.
    static func actorName(_ actor: String) -> String? {
        var bytes = Array(actor.utf8)[...]
        guard !bytes.elementsEqual("NOASSERTION".utf8) else { return nil }
        for prefix in ["Organization:", "Person:", "Tool:"] where bytes.starts(with: prefix.utf8) {
            bytes = bytes.dropFirst(prefix.utf8.count)
        }
        if bytes.last == UInt8(ascii: ")"), let open = bytes.lastIndex(of: UInt8(ascii: "(")) { bytes = bytes[..<open] }
        while bytes.first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
        while bytes.last == UInt8(ascii: " ") { bytes = bytes.dropLast() }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    // MARK: CycloneDX 1.x

    /// A `components` array, nested components flattened after their parent.
    private static func components(_ reader: inout JSONReader, into list: inout [SBOMPackage], path: @autoclosure () -> String) throws {
        guard try reader.kind() == .array else { throw reader.typeError(path(), expected: "an array") }
        var index = 0
        try reader.array { reader in
            let position = index
            var field: String { "\(path())[\(position)]" }
            index += 1
            try expectObject(&reader, field)
            var name: String?, version: String?, purl: String?, supplier: String?
            var licenses: [LicenseChoice] = []
            var children: [SBOMPackage] = []
            try reader.object { reader, member in
                if member.is("name") {
                    name = try reader.optionalString("\(field).name")
                } else if member.is("version") {
                    version = try reader.optionalString("\(field).version")
                } else if member.is("purl") {
                    purl = try reader.optionalString("\(field).purl")
                } else if member.is("supplier") {
                    try expectObject(&reader, "\(field).supplier")
                    try reader.object { reader, part in
                        if part.is("name") { supplier = try reader.optionalString("\(field).supplier.name") } else { try reader.skip() }
                    }
                } else if member.is("licenses") {
                    licenses = try cycloneDXLicenses(&reader, field: "\(field).licenses")
                } else if member.is("components") {
                    try components(&reader, into: &children, path: "\(field).components")
                } else {
                    try reader.skip()
                }
            }
            guard let name else { throw BullaError(.malformedInput, "SBOM \(field) has no name") }
            list.append(SBOMPackage(name: name, version: version, purl: purl, license: joinedLicense(licenses), supplier: supplier))
            list += children
        }
    }

    /// Each entry of `licenses`: an `expression`, or a `license` with an SPDX `id` or a `name`.
    private enum LicenseChoice {
        case license(String)
        case expression(String)
    }

    private static func cycloneDXLicenses(_ reader: inout JSONReader, field: @autoclosure () -> String) throws -> [LicenseChoice] {
        var out: [LicenseChoice] = []
        guard try reader.kind() == .array else { throw reader.typeError(field(), expected: "an array") }
        try reader.array { reader in
            try expectObject(&reader, field())
            try reader.object { reader, choice in
                if choice.is("expression") {
                    if let expression = try reader.optionalString("\(field()).expression") { out.append(.expression(expression)) }
                } else if choice.is("license") {
                    try expectObject(&reader, "\(field()).license")
                    var id: String?, name: String?
                    try reader.object { reader, part in
                        if part.is("id") {
                            id = try reader.optionalString("\(field()).license.id")
                        } else if part.is("name") {
                            name = try reader.optionalString("\(field()).license.name")
                        } else {
                            try reader.skip()
                        }
                    }
                    if let chosen = id ?? name { out.append(.license(chosen)) }
                } else {
                    try reader.skip()
                }
            }
        }
        return out
    }

    /// Several licences of one component all apply: joined with AND in sorted order (so the
    /// text does not depend on the order a generator listed them), expressions in parentheses.
    /// A licence given by name stays as written, which may not be an SPDX identifier.
    private static func joinedLicense(_ licenses: [LicenseChoice]) -> String? {
        if licenses.count == 1 {
            switch licenses[0] {
            case .license(let text), .expression(let text): return text
            }
        }
        let parts = licenses.map { choice -> String in
            switch choice {
            case .license(let text): text
            case .expression(let text): "(\(text))"
            }
        }
        return parts.isEmpty ? nil : parts.sorted().joined(separator: " AND ")
    }
}
