import ArgumentParser
import Bulla

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the digest of an image's manifest, as a registry and skopeo report it.",
        discussion: """
            EXAMPLES:
              bulla digest registry.example.com/app:1.0
              bulla digest oci-archive:app.tar --platform linux/arm64
              bulla digest docker-archive:app.tar -o json
            """)

    @OptionGroup var output: OutputOptions
    @OptionGroup var image: ImageOptions

    func run() throws {
        let document = try image.open().resolve(platform: try image.selectedPlatform)
        let report = DigestReport(reference: image.image, digest: document.digest, manifestMediaType: document.descriptor.mediaType, size: document.descriptor.size)
        try Output.emit(report) { document.digest.description }
    }
}
