import ArgumentParser
import Bulla

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the digest of an image's manifest, as a registry and skopeo report it.")

    @OptionGroup var image: ImageOptions

    func run() throws {
        let document = try image.open().resolve(platform: try image.selectedPlatform)
        print(document.digest)
    }
}
