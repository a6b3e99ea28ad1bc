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

            Shell completions: bulla completion bash|zsh|fish
            """,
        version: "0.1.0",
        subcommands: [DigestCommand.self, InspectCommand.self, VerifyContentCommand.self, KeyCommand.self, SignCommand.self, VerifyCommand.self, AttestCommand.self, VerifyAttestationCommand.self, PolicyCommand.self, CopyCommand.self, SBOMCommand.self, LogCommand.self, SignBlobCommand.self, VerifyBlobCommand.self, CompletionCommand.self] + BullaCommand.served
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
            Terminal.error(error.description)
            Terminal.exit(ExitStatus.for(error))
        } catch let failed as VerificationFailed {
            Terminal.error(failed.message)
            Terminal.exit(ExitStatus.verificationFailed)
        } catch {
            // ArgumentParser's own errors: help, version, usage. Usage is exit 2 here.
            let code = BullaCommand.exitCode(for: error)
            var message = BullaCommand.fullMessage(for: error)
            if code == .validationFailure, let hint = CommandSuggestion.hint(for: Array(CommandLine.arguments.dropFirst())) {
                message = "\(hint)\n\(message)"
            }
            if code == .success {
                print(message)
                Terminal.exit(0)
            }
            Terminal.error(message)
            // Parse errors are usage errors; anything else that is not a BullaError is a bug.
            Terminal.exit(code == .validationFailure ? ExitStatus.usage : code == .failure ? ExitStatus.internalError : code.rawValue)
        }
    }
}
