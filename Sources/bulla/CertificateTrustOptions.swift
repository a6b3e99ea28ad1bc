import ArgumentParser
import Bulla
import BullaCrypto

/// Trust in certificates rather than bare keys, shared by `verify`, `verify-attestation` and
/// `verify-blob`: a Sigstore identity (issuer + subject) under a trusted root, or an
/// enterprise CA.
struct CertificateTrustOptions: ParsableArguments {
    @Option(name: .customLong("certificate-identity"), help: ArgumentHelp("The identity a keyless certificate must name, exactly.", valueName: "identity"))
    var certificateIdentity: String?

    @Option(name: .customLong("certificate-identity-regexp"), help: ArgumentHelp("A regular expression the identity must contain a match of, as in cosign (anchor it with ^ and $).", valueName: "regexp"))
    var certificateIdentityRegexp: String?

    @Option(name: .customLong("certificate-oidc-issuer"), help: ArgumentHelp("The OIDC issuer a keyless certificate must name.", valueName: "url"))
    var certificateOIDCIssuer: String?

    @Option(name: .customLong("trusted-root"), help: ArgumentHelp("A Sigstore trusted_root.json instead of the embedded public-good root.", valueName: "file"))
    var trustedRoot: String?

    @Option(name: .customLong("ca-roots"), help: ArgumentHelp("PEM root certificates of an enterprise CA whose certified keys are trusted.", valueName: "file"))
    var caRoots: String?

    @Option(name: .customLong("ca-intermediates"), help: ArgumentHelp("PEM intermediate certificates for --ca-roots.", valueName: "file"))
    var caIntermediates: String?

    func validate() throws {
        let named = certificateIdentity != nil || certificateIdentityRegexp != nil
        guard certificateIdentity == nil || certificateIdentityRegexp == nil else { throw ValidationError("give --certificate-identity or --certificate-identity-regexp, not both") }
        guard named == (certificateOIDCIssuer != nil) else {
            throw ValidationError(named ? "--certificate-identity needs --certificate-oidc-issuer" : "--certificate-oidc-issuer needs --certificate-identity or --certificate-identity-regexp")
        }
        guard caIntermediates == nil || caRoots != nil else { throw ValidationError("--ca-intermediates needs --ca-roots") }
        do { _ = try identity } catch let error as BullaError { throw ValidationError(error.message) }
    }

    /// Whether any certificate trust is given.
    var isGiven: Bool { certificateOIDCIssuer != nil || caRoots != nil }

    /// The Sigstore identity asked for, checked (a regular expression compiles) before any work.
    var identity: CertificateIdentity? {
        get throws {
            guard let issuer = certificateOIDCIssuer else { return nil }
            return try CertificateIdentity(issuer: issuer, subject: certificateIdentity, subjectPattern: certificateIdentityRegexp)
        }
    }

    /// The trusted root: the file given, or the embedded public-good root.
    func sigstoreRoot() throws -> TrustedRoot {
        guard let trustedRoot else { return TrustedRoot.production }
        return try TrustedRoot(bytes: try KeyFile.read(trustedRoot, limit: TrustedRoot.maxBytes))
    }

    /// The enterprise CA of `--ca-roots` and `--ca-intermediates`, when given.
    func certificateAuthorities() throws -> TrustedRoot? {
        guard let caRoots else { return nil }
        let read = { (path: String) in try Certificate.certificates(pem: try KeyFile.read(path, limit: 1 << 20)) }
        return try TrustedRoot(enterpriseRoots: try read(caRoots), intermediates: try caIntermediates.map(read) ?? [])
    }

    /// Adds this trust to `policy`.
    func apply(to policy: inout TrustPolicy) throws {
        policy.identities = try identity.map { [$0] } ?? []
        policy.sigstoreRoot = trustedRoot == nil ? nil : try sigstoreRoot()
        policy.certificateAuthorities = try certificateAuthorities()
    }
}

/// `--certificate` and `--certificate-chain` for `sign`, `attest` and `sign-blob`: a key an
/// enterprise CA certified, whose certificate (and chain) every signature then carries.
struct SigningCertificateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The signing key's certificate (PEM): signatures carry it, for verifiers that trust the CA.", valueName: "file"))
    var certificate: String?

    @Option(name: .customLong("certificate-chain"), help: ArgumentHelp("The certificate's chain (PEM, intermediates first, root optional), carried with it.", valueName: "file"))
    var certificateChain: String?

    func validate() throws {
        guard certificateChain == nil || certificate != nil else { throw ValidationError("--certificate-chain needs --certificate") }
    }

    /// The leaf then its chain, without a self-signed root (a verifier takes roots from its own trust).
    func certificates() throws -> [Certificate] {
        guard let certificate else { return [] }
        let read = { (path: String) in try Certificate.certificates(pem: try KeyFile.read(path, limit: 1 << 20)) }
        let leaf = try read(certificate)
        guard leaf.count == 1 else { throw BullaError(.invalidArgument, "\(certificate) holds \(leaf.count) certificates; give the signing key's own, and its chain with --certificate-chain") }
        let chain = try certificateChain.map(read) ?? []
        return leaf + chain.filter { !($0.isCA && $0.subject == $0.issuer) }
    }
}
