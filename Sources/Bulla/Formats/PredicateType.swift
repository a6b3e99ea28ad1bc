/// The predicate type of an attestation: a short name (`--type spdxjson`) or any URI.
public struct PredicateType: Hashable, Sendable, CustomStringConvertible {
    /// The URI written into statements.
    public let uri: String

    /// cosign's `--type` names (DESIGN.md "Attestations").
    public static let names: [String: String] = [
        "spdxjson": "https://spdx.dev/Document",
        "spdx": "https://spdx.dev/Document",
        "cyclonedx": "https://cyclonedx.org/bom",
        "slsaprovenance": "https://slsa.dev/provenance/v1",
        "slsaprovenance1": "https://slsa.dev/provenance/v1",
        "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex": "https://openvex.dev/ns",
    ]

    /// A short name or an absolute URI; anything else is refused.
    public init(parsing text: String) throws {
        if let uri = Self.names[text] {
            self.uri = uri
        } else if text.contains("://"), !text.contains(" "), text.count <= 1024 {
            uri = text
        } else {
            throw BullaError(.invalidArgument, "attestation type \"\(text.prefix(80))\" is neither one of \(Self.names.keys.sorted().joined(separator: ", ")) nor a URI")
        }
    }

    /// Whether a statement's `predicateType` is this type. Versioned URIs other tools write
    /// match their base: `https://spdx.dev/Document/v2.3` is an SPDX document, and
    /// `https://openvex.dev/ns/v0.2.0` an OpenVEX one.
    public func matches(_ other: String) -> Bool {
        other == uri || (other.hasPrefix(uri + "/v") && ["https://spdx.dev/Document", "https://openvex.dev/ns", "https://cyclonedx.org/bom"].contains(uri))
    }

    /// The URI, as statements and messages carry it.
    public var description: String { uri }
}

import BullaCrypto
