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
        abstract: "Generate signing keys and show their public half and ID.",
        subcommands: [Generate.self, Public.self, ID.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Write a new key pair: PREFIX.key (encrypted PKCS#8, mode 0600) and PREFIX.pub.")

        @Option(help: ArgumentHelp("Path prefix of the two files.", valueName: "prefix"))
        var outputPrefix: String

        @Option(help: "ecdsa-p256 (the default, as cosign), ecdsa-p384 or ed25519.")
        var algorithm: KeyAlgorithm = .ecdsaP256

        @Flag(help: "Replace existing files.")
        var force = false

        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            // Check both names first, so a refusal leaves no stray key file behind.
            for path in ["\(outputPrefix).key", "\(outputPrefix).pub"] where !force && FileManager.default.fileExists(atPath: path) {
                throw BullaError(.invalidArgument, "\(path) exists; pass --force to replace it")
            }
            let secret = try passphrase.passphrase(for: "the new key \(outputPrefix).key", confirm: true)
            let key = try SigningKey.generate(algorithm)
            try DurableFile.write(try key.pemRepresentation(passphrase: secret), to: "\(outputPrefix).key", mode: 0o600, overwrite: force)
            try DurableFile.write(Array(key.publicKey.pemRepresentation.utf8), to: "\(outputPrefix).pub", mode: 0o644, overwrite: force)
            print("wrote \(outputPrefix).key (private, 0600) and \(outputPrefix).pub; \(algorithm) key ID \(key.publicKey.keyID)")
        }
    }

    struct Public: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "public", abstract: "Print the public key (PEM) of a private key.")

        @Option(help: ArgumentHelp("Private key file or env://VAR.", valueName: "key"))
        var key: String

        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let signingKey = try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }
            print(signingKey.publicKey.pemRepresentation, terminator: "")
        }
    }

    struct ID: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "id", abstract: "Print a key's ID: lower-case hex SHA-256 of its SubjectPublicKeyInfo DER.")

        @Option(help: ArgumentHelp("Public or private key file, or env://VAR.", valueName: "key"))
        var key: String

        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            do {
                print(try KeyFile.verifyingKey(key).keyID)
            } catch let error as BullaError where error.code == .malformedInput {
                print(try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }.publicKey.keyID)
            }
        }
    }
}

extension KeyAlgorithm: ExpressibleByArgument {}
