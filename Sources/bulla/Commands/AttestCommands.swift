import ArgumentParser
import Bulla
import BullaCrypto

struct AttestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Attest a predicate (an SBOM, provenance…) about an image: an in-toto statement signed as DSSE.",
        discussion: "Stored like a signature: a cosign v3 bundle referrer (default) or a layer of the legacy .att manifest; --output-bundle writes it detached.")

    @OptionGroup var image: ImageOptions

    @Option(help: ArgumentHelp("Private key file or env://VAR.", valueName: "key"))
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

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var logOptions: LogOptions

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
        let signingKey = try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }
        var signer = ImageSigner(key: signingKey, annotations: try Annotations.parse(annotation))
        signer.log = try logOptions.recorder(passphrase: passphrase)
        if let outputBundle {
            try DurableFile.write(try signer.bundle(for: target, claim: claim).serialized, to: outputBundle, mode: 0o644, overwrite: true)
            print("attested \(claim.predicateType) for \(target.digest); bundle in \(outputBundle)")
            return
        }
        try signer.attest([target], claim: claim, into: try Images.signatureDestination(for: source), format: format)
        print("attested \(claim.predicateType) for \(target.digest) (\(format.rawValue)) with key \(signingKey.publicKey.keyID.prefix(16))…")
    }
}

struct VerifyAttestationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-attestation",
        abstract: "Verify an image's attestations of a type and print the verified predicate.",
        discussion: "Exit 0 only when attestations of --type by --threshold distinct trusted keys verify.")

    @OptionGroup var image: ImageOptions
    @OptionGroup var trusted: TrustOptions

    @Option(name: .customLong("type"), help: ArgumentHelp("spdxjson, cyclonedx, slsaprovenance, vuln, openvex, or any URI.", valueName: "type"))
    var predicateType: String

    @Option(help: ArgumentHelp("Also judge the attestations by this policy's rules for the type, with each rule's own keys and threshold (spec/policy.md).", valueName: "file"))
    var policy: String?

    func validate() throws {
        do { _ = try PredicateType(parsing: predicateType) } catch let error as BullaError { throw ValidationError(error.message) }
    }

    func run() throws {
        let type = try PredicateType(parsing: predicateType)
        let (verifier, subject) = try image.subject()
        // The policy applies its own trust (each rule's keys and threshold) to the same
        // attestations, besides its age and content rules; --key must be met too.
        let report = try verifier.verify(
            attestationsOf: type, subject, trust: try trusted.policy(), bundles: trusted.bundle, policy: try policy.map(Policy.load))
        let (result, decision) = (report.verification, report.policy)
        switch trusted.output {
        case .json:
            if decision != nil {
                print(try JSONOutput.encode(report))
            } else {
                print(try JSONOutput.encode(result))
            }
        case .text:
            for check in result.signatures {
                Terminal.note(check.line)
            }
            if let decision {
                print(decision.description)
            } else if result.verified, let predicate = result.signatures.first(where: \.counted)?.predicate {
                // The verified predicate is the output a pipeline reads; the lines above go to stderr.
                print(predicate.description)
            }
        }
        guard result.verified else {
            throw VerificationFailed(message: "\(result.reference) \(result.digest.abbreviated): \(result.trustedKeysSatisfied.count) trusted key(s) attested \(type), \(trusted.threshold) required (\(result.signatures.count) attestation(s) found)")
        }
        if let decision, !decision.allowed {
            throw VerificationFailed(message: "\(result.reference) \(result.digest.abbreviated): denied by \(policy!): " + decision.violations.map(\.description).joined(separator: "; "))
        }
    }
}
