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

    @Option(help: ArgumentHelp("Private key file or env://VAR.", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("Where to write the bundle.", valueName: "file"))
    var outputBundle: String?

    @Option(name: .customLong("bundle"), help: .hidden)
    var oldBundle: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var passphrase: PassphraseOptions

    func validate() throws {
        Deprecation.renamed("--bundle", to: "--output-bundle (--bundle is what verify commands read)", in: "bulla sign-blob", used: oldBundle != nil)
        guard (outputBundle ?? oldBundle) != nil else { throw ValidationError("give --output-bundle FILE: where to write the bundle") }
    }

    func run() throws {
        let bundle = (outputBundle ?? oldBundle)!
        let signingKey = try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }
        let signed = try BlobSigning.bundle(forFileAt: file, key: signingKey)
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
        abstract: "Verify a file against a Sigstore bundle and a public key.",
        discussion: """
            EXAMPLES:
              bulla verify-blob app.tgz --key release.pub --bundle app.sig.json
              bulla verify-blob app.tgz --key a.pub --key b.pub --bundle b.json -o json
            """)

    @Argument(help: "The file that was signed.")
    var file: String

    @Option(help: ArgumentHelp("Public key file or env://VAR; repeat to accept any of several.", valueName: "key"))
    var key: [String]

    @Option(help: ArgumentHelp("The bundle to check.", valueName: "file"))
    var bundle: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
    }

    func run() throws {
        let result = try Verifier().verify(fileAt: file, bundleAt: bundle, keys: try key.map(KeyFile.verifyingKey))
        try Output.emit(result) { "verified \(result.file): signed by \(result.algorithm) key \(result.keyID)" }
    }
}
