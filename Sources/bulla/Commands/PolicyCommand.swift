import ArgumentParser
import Bulla
import BullaCrypto

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Judge images by a policy file.",
        discussion: """
            EXAMPLES:
              bulla policy check --policy policy.yaml registry.example.com/app:1.0
              bulla policy test --policy policy.yaml --type spdxjson \\
                --predicate sbom.json --image HOST/app
            """,
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self])
}

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decide, as admission would, whether each image may run, and say why.",
        discussion: """
            Every image is judged, even after one that cannot be read. Exit 0 when every image is allowed, 1 when any is denied, and the error's status (3 for an image that cannot be read) when any could not be judged: the worst result wins.

            EXAMPLES:
              bulla policy check --policy policy.yaml HOST/app:1.0 HOST/db:15
              bulla policy check --policy policy.yaml oci:build/app --namespace pay -o json
            """)

    @Option(help: ArgumentHelp("The policy (YAML; spec/policy.md).", valueName: "file"))
    var policy: String

    @Argument(help: "Images: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG] or [docker://]HOST/REPO[:TAG][@DIGEST].")
    var images: [String]

    @Option(help: ArgumentHelp("Judge as for a pod in this namespace (rules with namespaces apply only then).", valueName: "name"))
    var namespace: String?

    @OptionGroup var platform: PlatformOption
    @OptionGroup var output: OutputOptions
    @OptionGroup var registry: RegistryFlags

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        for image in images {
            do { _ = try ImageReference(parsing: image) } catch let error as BullaError { throw ValidationError(error.message) }
        }
    }

    func run() throws {
        let rules = try Policy.load(policy)
        let verifier = Verifier(opener: try Images.opener(registry, limits: .default))
        let entries = verifier.check(try images.map(ImageReference.init(parsing:)), policy: rules, namespace: namespace, platform: try platform.value)
        try Output.emit(entries) { entries.map(\.description).joined(separator: "\n") }
        let undecided = entries.compactMap(\.undecided)
        // The worst result sets the exit status: an image not judged outranks a denial.
        if let worst = undecided.max(by: { ExitStatus.for(BullaError(.init($0.code))) < ExitStatus.for(BullaError(.init($1.code))) }) {
            let others = undecided.count > 1 ? " (and \(undecided.count - 1) more image(s) not judged)" : ""
            throw BullaError(.init(worst.code), "cannot judge \(worst.reference): \(worst.message)\(others)")
        }
        let denied = entries.compactMap(\.decision).filter { !$0.allowed }
        guard denied.isEmpty else {
            throw VerificationFailed(message: "denied by \(policy): \(denied.map(\.reference).joined(separator: ", "))")
        }
    }
}

struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Try a policy's attestation rules on a predicate file (an SBOM, a provenance), unsigned.",
        discussion: """
            For writing policies: the file is judged by the age and content rules the policy has for IMAGE and the type. Nothing is signed, so whether the rules' trusted keys attested it is reported as not checked; this never stands in for `policy check`. Exit 0 when the file meets those rules, 1 when it does not.

            EXAMPLES:
              syft dir:. -o spdx-json > sbom.json
              bulla policy test --policy policy.yaml --type spdxjson \\
                --predicate sbom.json --image registry.example.com/payments/api
            """)

    @Option(help: ArgumentHelp("The policy (YAML; spec/policy.md).", valueName: "file"))
    var policy: String

    @Option(name: .customLong("type"), help: ArgumentHelp("The predicate type the file would be attested as.", valueName: "type"))
    var predicateType: String

    @Option(help: ArgumentHelp("The predicate: a JSON object in a file.", valueName: "file"))
    var predicate: String

    @Option(help: ArgumentHelp("The image reference the policy's globs are matched against.", valueName: "reference"))
    var image: String

    @Option(help: ArgumentHelp("Judge maxAge as of this RFC 3339 time instead of now.", valueName: "time"))
    var now: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let type = try PredicateType(parsing: predicateType)
        var time = Timestamp.now
        if let now {
            guard let seconds = Timestamp.parse(now) else { throw BullaError(.invalidArgument, "--now \(now) is not an RFC 3339 time") }
            time = seconds
        }
        let decision = try Verifier().test(predicateAt: predicate, as: type, reference: image, policy: try Policy.load(policy), now: time)
        try Output.emit(decision) { decision.description }
        guard decision.allowed else { throw VerificationFailed(message: "denied by \(policy)") }
    }
}
