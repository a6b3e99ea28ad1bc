/// Who a Fulcio (Sigstore keyless) certificate says signed: the OIDC issuer, the subject from
/// the alternative name, and the CI claims Fulcio copies from the identity token.
///
/// The extensions are Sigstore's, under 1.3.6.1.4.1.57264.1 (fulcio `docs/oid-info.md`):
/// `.1`–`.6` hold the raw string bytes (deprecated), `.8`–`.23` a DER UTF8String each. Claims
/// are named as sigstore-go's `certificate.Extensions` names them in JSON. Read only after the
/// certificate's chain verified: the values are whatever the certificate says.
public struct FulcioIdentity: Sendable, Hashable {
    /// The OIDC issuer (`iss`) that vouched for the subject, from `.8` or the older `.1`; nil without either.
    public let issuer: String?
    /// The signer: the first email, URI or Fulcio username alternative name.
    public let subject: String
    /// The other Fulcio extensions present, by claim name (`buildSignerURI`, `sourceRepositoryRef`…).
    public let claims: [String: String]

    /// Where Fulcio's extensions live: its arc under Sigstore's enterprise number.
    public static let arc = "1.3.6.1.4.1.57264.1"
    /// The OID of the deprecated issuer extension, a raw string.
    public static let issuerV1 = "\(arc).1"
    /// The OID of the issuer extension, a DER UTF8String.
    public static let issuerV2 = "\(arc).8"
    /// The otherName type of Fulcio's username alternative name.
    public static let usernameName = "\(arc).7"

    /// How one extension is encoded and what its claim is called.
    public struct Claim: Sendable, Hashable {
        /// The extension's dotted OID.
        public let oid: String
        /// The claim's name (sigstore-go's JSON field name).
        public let name: String
        /// True for a DER UTF8String value (`.8` on), false for raw bytes (`.1`–`.6`).
        public let isDERString: Bool
    }

    /// Every claim extension Fulcio documents besides the issuer, in OID order.
    public static let knownClaims: [Claim] = [
        (2, "githubWorkflowTrigger"), (3, "githubWorkflowSHA"), (4, "githubWorkflowName"),
        (5, "githubWorkflowRepository"), (6, "githubWorkflowRef"),
        (9, "buildSignerURI"), (10, "buildSignerDigest"), (11, "runnerEnvironment"),
        (12, "sourceRepositoryURI"), (13, "sourceRepositoryDigest"), (14, "sourceRepositoryRef"),
        (15, "sourceRepositoryIdentifier"), (16, "sourceRepositoryOwnerURI"),
        (17, "sourceRepositoryOwnerIdentifier"), (18, "buildConfigURI"), (19, "buildConfigDigest"),
        (20, "buildTrigger"), (21, "runInvocationURI"), (22, "sourceRepositoryVisibilityAtSigning"),
        (23, "deploymentEnvironment"),
    ].map { Claim(oid: "\(arc).\($0.0)", name: $0.1, isDERString: $0.0 >= 8) }

    /// Reads the identity; refuses no email/URI/username SAN, a value not UTF-8 (or DER UTF8String), disagreeing issuers.
    public init(certificate: Certificate) throws {
        let v1 = try Self.value(of: certificate, oid: Self.issuerV1, isDERString: false)
        let v2 = try Self.value(of: certificate, oid: Self.issuerV2, isDERString: true)
        if let v1, let v2, v1 != v2 {
            throw BullaError(.malformedInput, "the certificate names two OIDC issuers: \(v1) (\(Self.issuerV1)) and \(v2) (\(Self.issuerV2))")
        }
        issuer = v2 ?? v1
        subject = try Self.subject(of: certificate)
        var claims: [String: String] = [:]
        for claim in Self.knownClaims {
            claims[claim.name] = try Self.value(of: certificate, oid: claim.oid, isDERString: claim.isDERString)
        }
        self.claims = claims
    }

    /// The first alternative name that can be a Fulcio identity.
    private static func subject(of certificate: Certificate) throws -> String {
        for name in certificate.subjectAlternativeNames {
            switch name {
            case .email(let value), .uri(let value): return value
            case .other(usernameName, let value?): return value
            default: continue
            }
        }
        throw BullaError(.malformedInput, "\(certificate.subjectForMessages) has no email, URI or username subject alternative name")
    }

    /// The text of extension `oid`, nil when absent.
    private static func value(of certificate: Certificate, oid: String, isDERString: Bool) throws -> String? {
        guard let raw = certificate.extensionValue(oid: oid) else { return nil }
        let content: ArraySlice<UInt8>
        if isDERString {
            // UTF8String, universal tag 12.
            guard let inner = DERElement.content(of: raw, tag: 0x0C) else {
                throw BullaError(.malformedInput, "Fulcio extension \(oid) is not one DER UTF8String")
            }
            content = inner
        } else {
            content = raw[...]
        }
        guard let text = String(validating: content, as: UTF8.self) else {
            throw BullaError(.malformedInput, "Fulcio extension \(oid) is not UTF-8 text")
        }
        return text
    }
}
