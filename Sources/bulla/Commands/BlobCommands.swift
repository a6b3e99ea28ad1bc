import ArgumentParser
import Bulla
import BullaCrypto

struct SignBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-blob",
        abstract: "Sign a file; write a Sigstore bundle (v0.3, messageSignature).")

    @Argument(help: "The file to sign.")
    var file: String

    @Option(help: ArgumentHelp("Private key file or env://VAR.", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("Where to write the bundle.", valueName: "file"))
    var bundle: String

    @OptionGroup var passphrase: PassphraseOptions

    func run() throws {
        let signingKey = try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }
        let signed = try BlobSigning.bundle(forFileAt: file, key: signingKey)
        try DurableFile.write(signed.serialized, to: bundle, mode: 0o644, overwrite: true)
        print("signed \(file) with \(signingKey.algorithm) key \(signingKey.publicKey.keyID.prefix(16))…; bundle in \(bundle)")
    }
}

struct VerifyBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-blob",
        abstract: "Verify a file against a Sigstore bundle and a public key.")

    @Argument(help: "The file that was signed.")
    var file: String

    @Option(help: ArgumentHelp("Public key file or env://VAR; repeat to accept any of several.", valueName: "key"))
    var key: [String]

    @Option(help: ArgumentHelp("The bundle to check.", valueName: "file"))
    var bundle: String

    func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
    }

    func run() throws {
        let result = try Verifier().verify(fileAt: file, bundleAt: bundle, keys: try key.map(KeyFile.verifyingKey))
        print("verified \(result.file): signed by \(result.algorithm) key \(result.keyID)")
    }
}
