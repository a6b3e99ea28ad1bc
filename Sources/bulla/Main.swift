import ArgumentParser
import Bulla
import BullaCrypto

/// `bulla`: sign and verify container images. The CLI only parses, calls the library and prints.
struct BullaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulla",
        abstract: "Compute, sign and verify container image digests.",
        discussion: """
            IMAGE is one of:
              oci:DIR[:TAG]                      an OCI image layout directory
              oci-archive:FILE[:TAG]             the same as a tar (plain, gzip or zstd)
              docker-archive:FILE[:REPO:TAG|@N]  a docker save / podman save tarball
              [docker://]HOST/REPO[:TAG][@DIGEST] an image in a registry

            Exit codes: 0 success, 1 verification failed, 2 usage error,
            3 input unreadable or malformed, 70 internal error.
            Every command that prints a result takes -o json (spec/cli.md) and -q.

            EXAMPLES:
              bulla key generate --output-prefix release
              bulla sign registry.example.com/app@sha256:… --key release.key
              bulla verify registry.example.com/app:1.0 --key release.pub
              bulla tree registry.example.com/app:1.0
              bulla completion bash > /etc/bash_completion.d/bulla
            """,
        version: "0.1.0",
        subcommands: [DigestCommand.self, InspectCommand.self, TreeCommand.self, VerifyContentCommand.self, KeyCommand.self, SignCommand.self, VerifyCommand.self, AttestCommand.self, VerifyAttestationCommand.self, PolicyCommand.self, CopyCommand.self, SBOMCommand.self, LogCommand.self, SignBlobCommand.self, VerifyBlobCommand.self, CompletionCommand.self] + BullaCommand.served
    )
}

extension BullaCommand {
    #if canImport(BullaServer)
    static let served: [any ParsableCommand.Type] = [ServeCommand.self]
    #else
    static let served: [any ParsableCommand.Type] = []
    #endif
}

@main
enum Main {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try BullaCommand.parseAsRoot()
            // A cast to the protocol, not to a list of async commands: one left off such a list
            // would fall to ArgumentParser's default run(), which prints help and exits 0.
            if var serving = command as? AsyncParsableCommand {
                try await serving.run()
            } else {
                try command.run()
            }
        } catch let error as BullaError {
            fail(code: error.code.name, message: error.description.printable, status: ExitStatus.for(error))
        } catch let failed as VerificationFailed {
            fail(code: "verificationFailed", message: failed.message.printable, status: ExitStatus.verificationFailed)
        } catch {
            // ArgumentParser's own errors: help, version, usage. Usage is exit 2 here.
            let code = BullaCommand.exitCode(for: error)
            if code == .success {
                print(BullaCommand.fullMessage(for: error))
                Terminal.exit(0)
            }
            guard code == .validationFailure else {
                // Anything else that is not a BullaError is a bug.
                fail(code: "internalFailure", message: BullaCommand.fullMessage(for: error), status: code == .failure ? ExitStatus.internalError : code.rawValue)
            }
            // An unknown option first: it is usually why something else seems missing.
            var message = CommandSuggestion.unknownOption(in: arguments) ?? BullaCommand.fullMessage(for: error)
            if let hint = CommandSuggestion.hint(for: arguments) {
                message = "\(hint)\n\(message)"
            }
            fail(code: "usage", message: message, status: ExitStatus.usage)
        }
    }

    /// Reports a failure on stderr, and as a JSON object on stdout under `-o json`, and exits.
    private static func fail(code: String, message: String, status: Int32) -> Never {
        // A mistyped pkcs11: URI can carry its PIN anywhere in the text a message quotes.
        let message = PKCS11URI.redacting(message)
        Terminal.error(message)
        Output.reportFailure(code: code, message: message, exitStatus: status)
        Terminal.exit(status)
    }
}
