import BullaCrypto

/// Who may have signed with a Sigstore certificate: the OIDC issuer Fulcio recorded, the
/// identity (the certificate's subject alternative name) exact or by a regular expression (a
/// search, as cosign and Kyverno match: anchor it with `^` and `$`), and optionally Fulcio claims that must hold exactly (a workflow's repository or
/// ref). It is a policy's `identities:` entry and `--certificate-identity`'s meaning.
public struct CertificateIdentity: Sendable, Hashable, Codable {
    /// The OIDC issuer, compared exactly (`https://token.actions.githubusercontent.com`).
    public var issuer: String
    /// The identity, compared exactly; nil when `subjectPattern` is given instead.
    public var subject: String?
    /// A regular expression the identity must contain a match of (anchor it to match it all).
    public var subjectPattern: String?
    /// Fulcio claims, by claim name (BullaCrypto's `FulcioIdentity.knownClaims`), that must equal these values.
    public var claims: [String: String]

    /// An identity rule; give `subject` or `subjectPattern`. Throws for a pattern that is not a
    /// regular expression and for a claim Fulcio does not define, before anything is verified.
    public init(issuer: String, subject: String? = nil, subjectPattern: String? = nil, claims: [String: String] = [:]) throws {
        guard !issuer.isEmpty else { throw BullaError(.invalidArgument, "an identity needs its OIDC issuer") }
        guard (subject == nil) != (subjectPattern == nil) else {
            throw BullaError(.invalidArgument, "an identity names its subject exactly or by a regular expression, one of the two")
        }
        self.issuer = issuer
        self.subject = subject
        self.subjectPattern = subjectPattern
        self.claims = claims
        _ = try regex
        let known = Set(FulcioIdentity.knownClaims.map(\.name))
        if let unknown = claims.keys.sorted().first(where: { !known.contains($0) }) {
            throw BullaError(.invalidArgument, "\(unknown) is not a Fulcio claim (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private var regex: Regex<AnyRegexOutput>? {
        get throws {
            guard let subjectPattern else { return nil }
            do { return try Regex(subjectPattern).matchingSemantics(.unicodeScalar) } catch {
                throw BullaError(.invalidArgument, "identity pattern \(subjectPattern) is not a regular expression: \(error)")
            }
        }
    }

    /// Nil when `identity` is this one, else the reason it is not. Issuer, identity and claims
    /// compare as bytes: "é" and "e\u{301}" are different identities.
    public func mismatch(_ identity: FulcioIdentity) -> String? {
        guard identity.issuer.map({ Array($0.utf8) }) == Array(issuer.utf8) else {
            return "its OIDC issuer is \(identity.issuer ?? "absent"), not \(issuer)"
        }
        if let subject, Array(identity.subject.utf8) != Array(subject.utf8) { return "its identity is not \(subject)" }
        if let subjectPattern {
            // A pattern that does not compile (one decoded or set after init) matches nothing: deny.
            guard let pattern = try? regex else { return "the identity pattern \(subjectPattern) is not a regular expression" }
            if (try? pattern.firstMatch(in: identity.subject)) == nil { return "its identity does not match \(subjectPattern)" }
        }
        for (name, wanted) in claims.sorted(by: { $0.key < $1.key }) where identity.claims[name].map({ Array($0.utf8) }) != Array(wanted.utf8) {
            return "its \(name) is \(identity.claims[name] ?? "absent"), not \(wanted)"
        }
        return nil
    }

    /// The rule in words, for messages: `subject (issuer)` with any claims.
    public var summary: String {
        let who = subject ?? "~/\(subjectPattern ?? "")/"
        let extra = claims.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(who) from \(issuer)" + (extra.isEmpty ? "" : " with " + extra.joined(separator: ", "))
    }
}

/// Who a verified certificate says signed, as a verification reports it: typed, never text.
public struct SignerIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The OIDC issuer Fulcio recorded; nil for a certificate from an enterprise CA.
    public var issuer: String?
    /// The certificate's identity: its first email, URI or username alternative name, else its subject name.
    public var subject: String
    /// The other Fulcio claims the certificate carries (workflow repository, ref, SHA, trigger…).
    public var claims: [String: String]

    /// An identity as read from a verified certificate.
    public init(issuer: String?, subject: String, claims: [String: String] = [:]) {
        self.issuer = issuer
        self.subject = subject
        self.claims = claims
    }

    /// `subject (issuer)`, how messages name a signer.
    public var description: String { issuer.map { "\(subject) (issuer \($0))" } ?? subject }
}
