import ArgumentParser
import Bulla
import BullaCrypto

struct SignBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-blob",
        abstract: "Sign a file; write a Sigstore bundle (v0.3, messageSignature).",
        discussion: """
            EXAMPLES:
              bulla sign-blob app.tgz --key release.key --output-bundle app.sig.json
              cosign verify-blob app.tgz --key release.pub --bundle app.sig.json
            """)

    @Argument(help: "The file to sign.")
    var file: String

    @Option(help: ArgumentHelp("Private key file, env://VAR, or pkcs11: URI of a key in a token.", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("Where to write the bundle.", valueName: "file"))
    var outputBundle: String?

    @Option(name: .customLong("bundle"), help: .hidden)
    var oldBundle: String?

    @OptionGroup(title: "Certificates") var signingCertificate: SigningCertificateOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var passphrase: PassphraseOptions

    func validate() throws {
        Deprecation.renamed("--bundle", to: "--output-bundle (--bundle is what verify commands read)", in: "bulla sign-blob", used: oldBundle != nil)
        guard (outputBundle ?? oldBundle) != nil else { throw ValidationError("give --output-bundle FILE: where to write the bundle") }
    }

    func run() throws {
        let bundle = (outputBundle ?? oldBundle)!
        let signingKey = try passphrase.signingKey(key)
        let signed = try BlobSigning.bundle(forFileAt: file, key: signingKey, certificates: try signingCertificate.certificates())
        try DurableFile.write(signed.serialized, to: bundle, mode: 0o644, overwrite: true)
        guard case .messageSignature(let digest, _) = signed.content else { throw BullaError(.internalFailure, "a blob bundle without a message signature") }
        let report = SigningReport(key: signingKey, predicateType: nil, format: "detached", location: bundle,
                                   items: [SignedItem(subject: digest.description)])
        try Output.emit(report, confirmation: true) { "signed \(file) with \(signingKey.algorithm) key \(signingKey.publicKey.keyID.prefix(16))…; bundle in \(bundle)" }
    }
}

struct VerifyBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-blob",
        abstract: "Verify a file (or its sha256: digest) against a Sigstore bundle: a key's, or a keyless certificate's.",
        discussion: """
            With --key, the bundle's signature must verify under one of the keys. With --certificate-identity (or -regexp) and --certificate-oidc-issuer, the bundle's certificate must chain to a CA of the trusted root at a verified time (a signed entry timestamp or an RFC 3161 timestamp), carry a verified SCT, and name that identity; every log entry and timestamp is verified offline. --trusted-root replaces the embedded Sigstore public-good root.

            EXAMPLES:
              bulla verify-blob app.tgz --key release.pub --bundle app.sig.json
              bulla verify-blob app.tgz --bundle app.sigstore.json \\
                --certificate-identity-regexp '^https://github.com/org/repo/' \\
                --certificate-oidc-issuer https://token.actions.githubusercontent.com
              bulla verify-blob sha256:… --key a.pub --bundle b.json --trusted-root r.json
            """)

    @Argument(help: "The file that was signed, or its digest as sha256:HEX.")
    var file: String

    @Option(help: ArgumentHelp("Public key file or env://VAR; repeat to accept any of several.", valueName: "key"))
    var key: [String] = []

    @Option(help: ArgumentHelp("The bundle to check.", valueName: "file"))
    var bundle: String

    @OptionGroup(title: "Certificates") var certificates: CertificateTrustOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !key.isEmpty || certificates.isGiven else { throw ValidationError("give --key, or --certificate-identity (or -regexp) with --certificate-oidc-issuer, or --ca-roots") }
        guard key.isEmpty || !certificates.isGiven else { throw ValidationError("give --key or a certificate trust, not both") }
    }

    func run() throws {
        let result: BlobVerification
        if let identity = try certificates.identity {
            result = try Verifier().verify(artifact: file, bundleAt: bundle, root: try certificates.sigstoreRoot(), identity: identity, key: nil)
        } else if let authorities = try certificates.certificateAuthorities() {
            result = try Verifier().verify(artifact: file, bundleAt: bundle, root: authorities, authority: .enterprise, identity: nil, key: nil)
        } else if certificates.trustedRoot != nil || file.hasPrefix("sha256:") {
            guard key.count == 1 else { throw BullaError(.invalidArgument, "a bundle checked against a trusted root takes one --key") }
            result = try Verifier().verify(artifact: file, bundleAt: bundle, root: try certificates.sigstoreRoot(), identity: nil, key: try KeyFile.verifyingKey(key[0]))
        } else {
            result = try Verifier().verify(fileAt: file, bundleAt: bundle, keys: try key.map(KeyFile.verifyingKey))
        }
        try Output.emit(result) {
            let who = result.subject.map { "\($0)\(result.issuer.map { " (issuer \($0))" } ?? ", certified by a trusted CA")" } ?? "\(result.algorithm) key \(result.keyID)"
            return "verified \(result.file): signed by \(who)" + (result.logIndices.map { $0.isEmpty ? "" : "; log entries \($0.map(String.init).joined(separator: ", "))" } ?? "")
        }
    }
}
