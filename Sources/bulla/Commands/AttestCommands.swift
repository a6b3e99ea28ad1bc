import ArgumentParser
import Bulla
import BullaCrypto

struct AttestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Attest a predicate (an SBOM, provenance…) about an image: an in-toto statement signed as DSSE.",
        discussion: """
            Stored like a signature: a cosign v3 bundle referrer (default) or a layer of the legacy .att manifest; --output-bundle writes it detached.

            EXAMPLES:
              syft registry.example.com/app:1.0 -o spdx-json > sbom.json
              bulla attest registry.example.com/app@sha256:… --key release.key \\
                --predicate sbom.json --type spdxjson --log https://log.example.com
              bulla attest oci:build/app --key release.key --statement statement.json
            """)

    @Option(help: ArgumentHelp("Private key file, env://VAR, or pkcs11: URI of a key in a token.", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("The predicate: a JSON object in a file.", valueName: "file"))
    var predicate: String?

    @Option(help: ArgumentHelp("A complete in-toto statement to sign as it is; its subject must be this image.", valueName: "file"))
    var statement: String?

    @Option(name: .customLong("type"), help: ArgumentHelp("spdxjson, cyclonedx, slsaprovenance, vuln, openvex, or any URI; with --statement, checked against it.", valueName: "type"))
    var predicateType: String?

    @Option(help: "bundle (cosign v3, the default) or legacy (cosign .att).")
    var format: SignatureFormat = .bundle

    @Option(help: ArgumentHelp("Write a detached bundle here instead of into the image.", valueName: "file"))
    var outputBundle: String?

    @Option(name: [.customShort("a"), .customLong("annotation")], help: ArgumentHelp("An annotation for the bundle or layer, key=value; repeatable.", valueName: "key=value"))
    var annotation: [String] = []

    @OptionGroup(title: "Certificates") var signingCertificate: SigningCertificateOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var image: ImageOptions

    func validate() throws {
        _ = try Annotations.parse(annotation)
        guard (predicate == nil) != (statement == nil) else { throw ValidationError("give either --predicate (with --type) or --statement") }
        guard statement != nil || predicateType != nil else { throw ValidationError("--predicate needs --type") }
        if let predicateType {
            do { _ = try PredicateType(parsing: predicateType) } catch let error as BullaError { throw ValidationError(error.message) }
        }
        if outputBundle != nil && format == .legacy { throw ValidationError("--output-bundle writes a cosign v3 bundle: it does not go with --format legacy") }
        if logOptions.log != nil && format == .legacy { throw ValidationError("--log embeds the log's proof in cosign v3 bundles: it does not go with --format legacy") }
    }

    /// What to sign: a predicate wrapped here, or a statement passed through.
    private func claim() throws -> ImageSigner.Claim {
        let type = try predicateType.map(PredicateType.init(parsing:))
        if let statement {
            let bytes = try KeyFile.read(statement, limit: AttestationLimits.maxPredicateBytes)
            let parsed = try InTotoStatement(payload: bytes)
            if let type, !type.matches(parsed.predicateType) {
                throw BullaError(.invalidArgument, "\(statement) has predicate type \(parsed.predicateType), not \(type.uri)")
            }
            return .statement(payload: bytes, parsed: parsed)
        }
        let file = predicate!
        return .attestation(type!, try JSONDocument.decodePredicate(try KeyFile.read(file, limit: AttestationLimits.maxPredicateBytes), what: file))
    }

    func run() throws {
        let claim = try claim()
        let source = try image.open()
        let target = try source.resolve(platform: try image.selectedPlatform).descriptor
        let signingKey = try passphrase.signingKey(key)
        var signer = ImageSigner(key: signingKey, annotations: try Annotations.parse(annotation))
        try signer.certify(with: try signingCertificate.certificates())
        signer.log = try logOptions.recorder(passphrase: passphrase)
        let report: SigningReport
        if let outputBundle {
            let bundle = try signer.bundle(for: target, claim: claim)
            try DurableFile.write(bundle.serialized, to: outputBundle, mode: 0o644, overwrite: true)
            report = SigningReport(key: signingKey, predicateType: claim.predicateType, format: "detached", location: outputBundle,
                                   items: [SignedItem(subject: target.digest.description, log: bundle.logPlacement)])
        } else {
            let destination = try Images.signatureDestination(for: source)
            let items = try signer.attest([target], claim: claim, into: destination, format: format)
            report = SigningReport(key: signingKey, predicateType: claim.predicateType, format: format.rawValue, location: destination.location, items: items)
        }
        try Output.emit(report, confirmation: true) { report.lines }
    }
}

struct VerifyAttestationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-attestation",
        abstract: "Verify an image's attestations of a type and print the verified predicate.",
        discussion: """
            Exit 0 only when attestations of --type by --threshold distinct trusted keys verify. The verified predicate is printed on stdout, each attestation's check on stderr.

            EXAMPLES:
              bulla verify-attestation HOST/app:1.0 --key release.pub --type spdxjson
              bulla verify-attestation oci:build/app --key release.pub --type spdxjson \\
                --policy policy.yaml -o json
            """)

    @Option(name: .customLong("type"), help: ArgumentHelp("spdxjson, cyclonedx, slsaprovenance, vuln, openvex, or any URI.", valueName: "type"))
    var predicateType: String

    @Option(help: ArgumentHelp("Also judge the attestations by this policy's rules for the type, with each rule's own keys and threshold (spec/policy.md).", valueName: "file"))
    var policy: String?

    @OptionGroup var trusted: TrustOptions

    @OptionGroup var image: ImageOptions

    func validate() throws {
        do { _ = try PredicateType(parsing: predicateType) } catch let error as BullaError { throw ValidationError(error.message) }
    }

    func run() throws {
        let type = try PredicateType(parsing: predicateType)
        let (verifier, subject) = try image.subject()
        // The policy applies its own trust (each rule's keys and threshold) to the same
        // attestations, besides its age and content rules; --key must be met too.
        let trust = try trusted.policy()
        let report = try verifier.verify(
            attestationsOf: type, subject, trust: trust, bundles: trusted.bundle, policy: try policy.map(Policy.load))
        let (result, decision) = (report.verification, report.policy)
        if !Output.json {
            for check in result.signatures { Terminal.note(check.line) }
        }
        // The verified predicate is the output a pipeline reads; the lines above go to stderr.
        let text = { decision?.description ?? (result.verified ? result.signatures.first(where: \.counted)?.predicate?.description ?? "" : "") }
        if decision != nil {
            try Output.emit(report, text: text)
        } else {
            try Output.emit(result, text: text)
        }
        guard result.verified else {
            throw VerificationFailed(message: "\(result.reference) \(result.digest.abbreviated): \(result.signersSatisfied) trusted \(trust.signerNoun) attested \(type), \(trusted.threshold) required (\(result.signatures.count) attestation(s) found)" + result.whereLooked)
        }
        if let decision, !decision.allowed {
            throw VerificationFailed(message: "\(result.reference) \(result.digest.abbreviated): denied by \(policy!): " + decision.violations.map(\.description).joined(separator: "; "))
        }
    }
}
