import ArgumentParser
import Bulla
import BullaCrypto

/// Who is trusted and where the evidence comes from, shared by `verify` and `verify-attestation`.
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A trusted public key (file or env://VAR); repeatable.", valueName: "key"))
    var key: [String] = []

    @Option(help: "How many distinct trusted keys are required.")
    var threshold: Int = 1

    @Option(help: ArgumentHelp("Verify this detached bundle instead of what is stored with the image; repeatable.", valueName: "file"))
    var bundle: [String] = []

    func validate() throws {
        guard !key.isEmpty else { throw ValidationError("give at least one --key") }
        guard threshold >= 1 else { throw ValidationError("--threshold must be at least 1") }
    }

    var keys: [VerifyingKey] {
        get throws { try key.map(KeyFile.verifyingKey) }
    }

    /// The detached bundles when `--bundle` is given (one that cannot be read is malformed input,
    /// exit 3, as for any file given), else what `kind` finds stored with the image.
    func evidence(for digest: Digest, in source: any ImageSource, kind: SignatureFinder.Kind, bundleLimit: Int = 1 << 20)
        throws -> (found: [FoundSignature], unreadable: [(origin: String, reason: String)])
    {
        guard !bundle.isEmpty else { return try SignatureFinder(source: source, kind: kind).signatures(for: digest) }
        let found = try bundle.map {
            FoundSignature(origin: "bundle \($0)", format: .bundle, content: .bundle(try SigstoreBundle(bytes: try KeyFile.read($0, limit: bundleLimit))))
        }
        return (found, [])
    }
}
