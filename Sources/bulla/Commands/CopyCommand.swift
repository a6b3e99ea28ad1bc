import ArgumentParser
import Bulla
import BullaCrypto

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an image with all its signatures and attestations (an air-gap mirror).",
        discussion: """
            SRC and DST are oci:DIR[:TAG] or registry images; SRC may also be an archive. Every child of an index is copied, and so are the image's referrers (bundle signatures and attestations, whether the registry lists them by the referrers API or the sha256-<hex> tag) and cosign's sha256-<hex>.sig and .att tags. Blobs are streamed and checked against their digests; blobs DST has are skipped. Digests never change, so signatures verify at DST, offline for a layout. A layout DST is updated atomically: it shows the whole copy or none of it.

            EXAMPLES:
              bulla copy registry.example.com/app:1.0 oci:mirror/registry.example.com/app
              bulla copy oci-archive:app.tar registry.internal/app:1.0 --authfile auth.json
              bulla copy HOST/app@sha256:… oci:airgap/app -o json
            """)

    @Argument(help: "The image to copy.")
    var source: String

    @Argument(help: "Where to: oci:DIR[:TAG] (made if missing) or [docker://]HOST/REPO[:TAG].")
    var destination: String

    @Option(help: ArgumentHelp("Blobs copied at once.", valueName: "count"))
    var jobs = 4

    @OptionGroup var output: OutputOptions
    @OptionGroup var registry: RegistryFlags

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let from = try ImageReference(parsing: source)
        let to = try ImageReference(parsing: destination)
        let input = try Images.open(from, limits: .default, registry: registry)
        let output = try Images.destination(to, registry: registry, reusing: input)
        let bar = ProgressBar("copying")
        var copier = ImageCopier(from: input, to: output)
        copier.jobs = jobs
        copier.progress = { done, total in bar.update(done, total) }
        let report = try copier.copy(tag: Self.tag(of: to))
        bar.finish()
        let copied = CopyReport(source: source, destination: destination, digest: report.root.digest, manifests: report.manifests,
                                blobsCopied: report.blobsCopied, blobsPresent: report.blobsPresent, bytesCopied: report.bytesCopied, companions: report.companions)
        try Output.emit(copied, confirmation: true) {
            (["copied \(report.root.digest) to \(output.location): \(report.manifests) manifest(s), \(report.blobsCopied) blob(s) (\(Terminal.bytes(report.bytesCopied))), \(report.blobsPresent) already there"]
                + report.companions.map { "  with \($0)" }).joined(separator: "\n")
        }
    }

    /// The tag DST names, if any.
    static func tag(of reference: ImageReference) -> String? {
        switch reference {
        case .ociLayout(_, let tag): tag
        case .registry(let image): image.tag
        default: nil
        }
    }
}
