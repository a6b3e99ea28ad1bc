import ArgumentParser
import Bulla
#if canImport(BullaRegistry)
import BullaRegistry
#endif
import BullaCrypto
import Foundation

/// Who is trusted, where the evidence comes from and how the result is printed, shared by
/// `verify` and `verify-attestation` (`--output` is here rather than in `OutputOptions`: one
/// option group fewer at every verification's start).
struct TrustOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A trusted public key (file or env://VAR); repeatable.", valueName: "key"))
    var key: [String] = []

    @OptionGroup(title: "Certificates") var certificates: CertificateTrustOptions

    @Option(help: "How many distinct trusted keys and identities are required.")
    var threshold: Int = 1

    @Option(help: ArgumentHelp("Verify this detached bundle instead of what is stored with the image; repeatable.", valueName: "file"))
    var bundle: [String] = []

    @Option(name: .customLong("log-key"), help: ArgumentHelp("A trusted transparency log's public key: bundles' log entries are checked offline; repeatable.", valueName: "key"))
    var logKey: [String] = []

    @Flag(name: .customLong("require-log"), help: "Count only signatures whose log entry verifies with a --log-key.")
    var requireLog = false

    @Option(name: [.customShort("o"), .long], help: OutputOptions.help)
    var output: OutputFormat = .text

    @Flag(name: [.customShort("q"), .long], help: OutputOptions.quietHelp)
    var quiet = false

    func validate() throws {
        guard !key.isEmpty || certificates.isGiven else { throw ValidationError("give at least one --key, or --certificate-identity with --certificate-oidc-issuer, or --ca-roots") }
        guard threshold >= 1 else { throw ValidationError("--threshold must be at least 1") }
        guard !requireLog || !logKey.isEmpty else { throw ValidationError("--require-log needs a --log-key") }
    }

    var keys: [VerifyingKey] {
        get throws { try key.map(KeyFile.verifyingKey) }
    }

    /// The trust these options give, with `annotations` and `identity` from the command.
    func policy(requiredAnnotations: [String: String] = [:], identity: String? = nil) throws -> TrustPolicy {
        var policy = TrustPolicy(keys: try keys, threshold: threshold, requiredAnnotations: requiredAnnotations, identity: identity,
                                 logKeys: try logKey.map(KeyFile.verifyingKey), requireLog: requireLog)
        try certificates.apply(to: &policy)
        return policy
    }
}

/// `--log DIR|URL`: record what is signed in a transparency log and embed the proof.
struct LogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Record the signature in this transparency log (a directory made by `bulla log init`, or the URL of `bulla log serve`) and put the entry, its inclusion proof and the signed checkpoint in the bundle.", valueName: "dir|url"))
    var log: String?

    @Option(name: .customLong("log-signing-key"), help: ArgumentHelp("The log's private key (default DIR/log.key); its passphrase comes from BULLA_LOG_PASSWORD, else as the signing key's.", valueName: "key"))
    var logSigningKey: String?

    func recorder(passphrase: PassphraseOptions) throws -> (any SignatureLog)? {
        guard let log else { return nil }
        if log.hasPrefix("https://") || log.hasPrefix("http://") {
            #if canImport(BullaRegistry)
            var remote = try RemoteLog(url: log)
            remote.caFiles = Images.certificateFiles(nil)
            return remote
            #else
            throw BullaError(.unsupported, "this build of bulla has no network client (built with BULLA_SANITIZED)")
            #endif
        }
        return LogRecorder(directory: log, logKey: try passphrase.logSigningKey(logSigningKey ?? "\(log)/log.key"))
    }
}

extension PassphraseOptions {
    /// A transparency log's private key; its passphrase comes from BULLA_LOG_PASSWORD, else
    /// as any key's.
    func logSigningKey(_ location: String) throws -> SigningKey {
        try KeyFile.signingKey(location, passphrase: {
            if let secret = ProcessInfo.processInfo.environment["BULLA_LOG_PASSWORD"] { return Passphrase(secret, source: "BULLA_LOG_PASSWORD") }
            return try passphrase(for: location)
        }, pin: { Self.pinPrompt(location) })
    }
}
