import ArgumentParser
import Bulla
import BullaCrypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Generate or import signing keys and show their public half and ID.",
        discussion: """
            EXAMPLES:
              bulla key generate --output-prefix release
              COSIGN_PASSWORD=… bulla key import-cosign cosign.key --output-prefix release
              bulla key id --key release.pub
            """,
        subcommands: [Generate.self, ImportCosign.self, Public.self, ID.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new key pair: PREFIX.key (encrypted PKCS#8, mode 0600) and PREFIX.pub, or make it in a PKCS #11 token.",
            discussion: """
                With --pkcs11 URI the key pair is made inside the token (private key sensitive and not extractable) and only PREFIX.pub is written; sign with --key URI. The token's PIN comes from the URI's pin-source, BULLA_PKCS11_PIN, or the terminal; the module from module-path= or BULLA_PKCS11_MODULE (docs/keys.md).

                EXAMPLES:
                  bulla key generate --output-prefix release
                  bulla key generate --output-prefix log --algorithm ed25519 -o json
                  BULLA_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so bulla key generate \\
                    --output-prefix release --pkcs11 'pkcs11:token=ci;object=release'
                """)

        @Option(help: ArgumentHelp("Make the key pair inside this PKCS #11 token (object=LABEL names it); only PREFIX.pub is written.", valueName: "uri"))
        var pkcs11: String?

        @OptionGroup var files: KeyPairFiles

        @Option(help: "ecdsa-p256 (the default, as cosign), ecdsa-p384 or ed25519.")
        var algorithm: KeyAlgorithm = .ecdsaP256

        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            if let pkcs11 {
                try files.checkFree(publicOnly: true)
                let key = try TokenKey.generate(pkcs11, algorithm: algorithm, pin: { PassphraseOptions.pinPrompt(pkcs11) })
                var report = try files.writePublic(key)
                // Without pin-value: the URI is given back to be used, and "***" is no PIN.
                report.token = key.tokenURI?.withoutPINValue.description
                try Output.emit(report, confirmation: true) {
                    "made a \(algorithm) key pair in \(report.token ?? pkcs11) (private key sensitive, not extractable); wrote \(files.publicKey); key ID \(report.keyID)"
                }
                return
            }
            try files.checkFree()
            let secret = try passphrase.passphrase(for: "the new key \(files.privateKey)", confirm: true)
            let report = try files.write(try SigningKey.generate(algorithm), passphrase: secret)
            try Output.emit(report, confirmation: true) { "wrote \(files.privateKey) (private, 0600) and \(files.publicKey); \(algorithm) key ID \(report.keyID)" }
        }
    }

    struct ImportCosign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-cosign",
            abstract: "Re-encrypt a cosign private key as Bulla's: PREFIX.key (encrypted PKCS#8, mode 0600) and PREFIX.pub.",
            discussion: """
                FILE is cosign's ENCRYPTED SIGSTORE PRIVATE KEY (or cosign 1's ENCRYPTED COSIGN PRIVATE KEY), a path or env://VAR. Its passphrase comes from COSIGN_PASSWORD, else the terminal; the new key's as for key generate (BULLA_PASSWORD, --passphrase-file, the terminal). The key and its ID stay the same: what cosign signed still verifies with cosign.pub, and so does what Bulla signs with the new key.

                EXAMPLES:
                  COSIGN_PASSWORD=… bulla key import-cosign cosign.key --output-prefix release
                  bulla key import-cosign env://COSIGN_KEY --output-prefix release
                """)

        @Argument(help: ArgumentHelp("cosign's private key file, or env://VAR.", valueName: "file"))
        var file: String

        @OptionGroup var files: KeyPairFiles
        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            try files.checkFree()
            // The cosign key is opened before the new passphrase is asked for: a wrong cosign
            // passphrase stops the command before anything is typed twice.
            let key = try KeyFile.cosignSigningKey(file) { try CosignPassphrase.read(for: file) }
            let secret = try passphrase.passphrase(for: "the new key \(files.privateKey)", confirm: true)
            let report = try files.write(key, passphrase: secret)
            try Output.emit(report, confirmation: true) {
                "wrote \(files.privateKey) (private, 0600) and \(files.publicKey) from cosign's \(file); \(key.algorithm) key ID \(report.keyID)"
            }
        }
    }

    struct Public: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public",
            abstract: "Print the public key (PEM) of a private key.",
            discussion: """
                EXAMPLES:
                  bulla key public --key release.key > release.pub
                """)

        @Option(help: ArgumentHelp("Private key file, env://VAR or pkcs11: URI.", valueName: "key"))
        var key: String

        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let signingKey = try passphrase.signingKey(key)
            try Output.emit(KeyReport(signingKey.publicKey)) { String(signingKey.publicKey.pemRepresentation.dropLast()) }
        }
    }

    struct ID: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "id",
            abstract: "Print a key's ID: lower-case hex SHA-256 of its SubjectPublicKeyInfo DER.",
            discussion: """
                EXAMPLES:
                  bulla key id --key release.pub
                  bulla key id --key release.key -o json
                """)

        @Option(help: ArgumentHelp("Public or private key file, env://VAR, or pkcs11: URI.", valueName: "key"))
        var key: String

        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let publicKey: VerifyingKey
            if TokenKey.isURI(key) {
                publicKey = try passphrase.signingKey(key).publicKey
            } else {
                do {
                    publicKey = try KeyFile.verifyingKey(key)
                } catch let error as BullaError where error.code == .malformedInput {
                    publicKey = try passphrase.signingKey(key).publicKey
                }
            }
            try Output.emit(KeyReport(publicKey)) { publicKey.keyID }
        }
    }
}

/// The two files a new or imported key is written to: PREFIX.key (encrypted, 0600) and PREFIX.pub.
struct KeyPairFiles: ParsableArguments {
    @Option(name: .customLong("output-prefix"), help: ArgumentHelp("Path prefix of the two files.", valueName: "prefix"))
    var prefix: String

    @Flag(help: "Replace existing files.")
    var force = false

    var privateKey: String { "\(prefix).key" }
    var publicKey: String { "\(prefix).pub" }

    /// Refuses before anything is asked or written when either file exists and `force` is not
    /// set, so a refusal leaves no stray key file behind.
    func checkFree(publicOnly: Bool = false) throws {
        for path in publicOnly ? [publicKey] : [privateKey, publicKey] where !force && FileManager.default.fileExists(atPath: path) {
            throw BullaError(.invalidArgument, "\(path) exists; pass --force to replace it")
        }
    }

    /// Writes only the public key of `key` (one in a token, whose private key stays there).
    func writePublic(_ key: SigningKey) throws -> KeyReport {
        try DurableFile.write(Array(key.publicKey.pemRepresentation.utf8), to: publicKey, mode: 0o644, overwrite: force)
        return KeyReport(key.publicKey, publicKeyFile: publicKey)
    }

    /// Writes `key` encrypted under `passphrase`, and its public key; reports both.
    func write(_ key: SigningKey, passphrase: Passphrase) throws -> KeyReport {
        try DurableFile.write(try key.pemRepresentation(passphrase: passphrase), to: privateKey, mode: 0o600, overwrite: force)
        try DurableFile.write(Array(key.publicKey.pemRepresentation.utf8), to: publicKey, mode: 0o644, overwrite: force)
        return KeyReport(key.publicKey, privateKeyFile: privateKey, publicKeyFile: publicKey)
    }
}

extension KeyAlgorithm: ExpressibleByArgument {}
