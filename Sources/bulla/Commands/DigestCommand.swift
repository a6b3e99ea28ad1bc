import ArgumentParser
import Bulla

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the digest of an image's manifest, as a registry and skopeo report it.")

    @OptionGroup var image: ImageOptions
    @OptionGroup var platform: PlatformOption

    func run() throws {
        let document = try image.open().resolve(platform: try platform.value)
        print(document.digest)
    }
}
