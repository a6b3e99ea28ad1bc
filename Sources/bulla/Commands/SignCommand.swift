import ArgumentParser
import Bulla
import BullaCrypto

/// `-a key=value` annotations, which `sign` and `attest` add and `verify` requires. Each command
/// declares the option itself, with its own help, rather than through an option group (each
/// group costs a process start several runtime type lookups).
enum Annotations {
    static func parse(_ items: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("annotation \"\(item)\" is not key=value")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }
}

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign an image: a cosign v3 bundle referrer (default) or a legacy .sig signature.",
        discussion: """
            An oci: layout is signed in place, atomically: it is left unsigned or fully signed. A registry image gets its signature pushed beside it: a referrer (listed in the sha256-<hex> tag's index when the registry has no referrers API), or a layer of the sha256-<hex>.sig manifest. Any image can instead get a detached bundle with --output-bundle.

            EXAMPLES:
              bulla sign registry.example.com/app@sha256:… --key release.key
              bulla sign oci:build/app:1.0 --key release.key --log https://log.example.com
              bulla sign docker-archive:app.tar --key release.key --output-bundle s.json
              BULLA_PASSWORD=… bulla sign HOST/app:1 --key release.key -o json
            """)

    @Option(help: ArgumentHelp("Private key file, env://VAR, or pkcs11: URI of a key in a token.", valueName: "key"))
    var key: String

    @Option(name: [.customShort("a"), .customLong("annotation")], help: ArgumentHelp("An annotation for the signature, key=value; repeatable.", valueName: "key=value"))
    var annotation: [String] = []

    @Option(help: "bundle (cosign v3, the default) or legacy (cosign .sig).")
    var format: SignatureFormat = .bundle

    @Flag(help: "Also sign every manifest of an index.")
    var recursive = false

    @Option(help: ArgumentHelp("Write a detached bundle here instead of into the image.", valueName: "file"))
    var outputBundle: String?

    @Option(help: ArgumentHelp("The repository a legacy signature names (its docker-reference); a registry image's own by default.", valueName: "registry/repo"))
    var identity: String?

    @OptionGroup(title: "Certificates") var signingCertificate: SigningCertificateOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var image: ImageOptions

    func validate() throws {
        _ = try Annotations.parse(annotation)
        if logOptions.log != nil && format == .legacy {
            throw ValidationError("--log embeds the log's proof in cosign v3 bundles: it does not go with --format legacy")
        }
        if outputBundle != nil && (recursive || format == .legacy) {
            throw ValidationError("--output-bundle writes one cosign v3 bundle: it goes with neither --recursive nor --format legacy")
        }
    }

    func run() throws {
        let source = try image.open()
        let root = try source.resolve(platform: try image.selectedPlatform)
        let signingKey = try passphrase.signingKey(key)
        var identity = identity
        if identity == nil, case .registry(let image) = source.reference { identity = image.name }
        var signer = ImageSigner(key: signingKey, annotations: try Annotations.parse(annotation), identity: identity)
        try signer.certify(with: try signingCertificate.certificates())
        signer.log = try logOptions.recorder(passphrase: passphrase)
        let report: SigningReport
        if let outputBundle {
            let bundle = try signer.bundle(for: root.descriptor)
            try DurableFile.write(bundle.serialized, to: outputBundle, mode: 0o644, overwrite: true)
            report = SigningReport(key: signingKey, predicateType: InTotoStatement.cosignSignPredicate, format: "detached", location: outputBundle,
                                   items: [SignedItem(subject: root.digest.description, log: bundle.logPlacement)])
        } else {
            let destination = try Images.signatureDestination(for: source)
            let targets = recursive ? try ManifestWalk.manifests(under: root, in: source) : [root.descriptor]
            let items = try signer.sign(targets, into: destination, format: format)
            report = SigningReport(key: signingKey, predicateType: InTotoStatement.cosignSignPredicate, format: format.rawValue, location: destination.location, items: items)
        }
        try Output.emit(report, confirmation: true) { report.lines }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an image's signatures against trusted keys.",
        discussion: """
            Exit 0 only when signatures by --threshold distinct trusted keys verify; each signature found is listed with why it counts or not, and a failure says where Bulla looked.

            EXAMPLES:
              bulla verify registry.example.com/app:1.0 --key release.pub
              bulla verify oci:build/app --key a.pub --key b.pub --threshold 2
              bulla verify HOST/app@sha256:… --key a.pub --log-key log.pub --require-log
              bulla verify docker-archive:app.tar --key release.pub --bundle app.sig.json
            """)

    @Option(name: [.customShort("a"), .customLong("annotation")], help: ArgumentHelp("An annotation a signature must carry to count, key=value; repeatable.", valueName: "key=value"))
    var annotation: [String] = []

    @Option(help: ArgumentHelp("The repository legacy signatures must name.", valueName: "registry/repo"))
    var identity: String?

    @OptionGroup var trusted: TrustOptions

    @OptionGroup var image: ImageOptions

    func validate() throws {
        _ = try Annotations.parse(annotation)
    }

    func run() throws {
        let trust = try trusted.policy(requiredAnnotations: try Annotations.parse(annotation), identity: identity)
        let (verifier, subject) = try image.subject()
        let result = try verifier.verify(subject, trust: trust, bundles: trusted.bundle)
        try Output.emit(result) {
            var lines = result.signatures.map(\.line)
            if result.verified {
                lines.append("verified \(result.reference) \(result.digest): \(result.signersSatisfied) of \(trusted.threshold) required trusted \(trust.signerNoun)")
            }
            return lines.joined(separator: "\n")
        }
        guard result.verified else {
            throw VerificationFailed(message: "\(result.reference) \(result.digest.abbreviated): \(result.signersSatisfied) trusted \(trust.signerNoun) signed, \(trusted.threshold) required (\(result.signatures.count) signature(s) found)" + result.whereLooked)
        }
    }
}

extension SignatureFormat: ExpressibleByArgument {}

extension VerificationResult {
    /// For a failure with nothing found: where Bulla looked, so the user knows where to put a
    /// signature (or that a detached bundle is needed).
    var whereLooked: String {
        signatures.isEmpty && !searched.isEmpty ? "; looked in " + searched.joined(separator: ", ") : ""
    }
}

extension SignatureCheck {
    /// How `verify` and `verify-attestation` list a signature: whether it counts, where it
    /// was, and why.
    var line: String { "\(counted ? "ok  " : "no  ") \(origin): \(reason)" }
}
