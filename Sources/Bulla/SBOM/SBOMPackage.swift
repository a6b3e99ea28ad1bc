/// One package an SBOM lists, in the form policies read whatever the SBOM's format.
public struct SBOMPackage: Sendable, Hashable, Codable {
    /// The package's name: what a `name` denial matches (case-insensitively).
    public var name: String
    /// The version as the SBOM gives it; denial ranges fall back to the purl's when absent.
    public var version: String?
    /// The package URL as the SBOM wrote it.
    public var purl: String?
    /// An SPDX licence expression: the concluded licence (SPDX) or the licences (CycloneDX).
    public var license: String?
    /// The supplier's name, without the SPDX `Organization:`/`Person:` prefix or an e-mail.
    public var supplier: String?

    /// A package from its parts, as an SBOM reader finds them.
    public init(name: String, version: String? = nil, purl: String? = nil, license: String? = nil, supplier: String? = nil) {
        self.name = name
        self.version = version
        self.purl = purl
        self.license = license
        self.supplier = supplier
    }
}
