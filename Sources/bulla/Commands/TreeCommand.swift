import ArgumentParser
import Bulla

struct TreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "List what is attached to an image: signatures, attestations, SBOMs and other referrers. No key needed.",
        discussion: """
            Looks where Bulla's verification looks: the registry's referrers API (or the referrers a layout's index lists), the sha256-<hex> fallback tag's index, and cosign's sha256-<hex>.sig and .att tags. Nothing is verified: a key hint is only what a bundle claims. Use `bulla verify` to check signatures.

            EXAMPLES:
              bulla tree registry.example.com/app:1.0
              bulla discover oci:build/app -o json | jq '.attachments[].kind'
            """,
        aliases: ["discover"])

    @OptionGroup var output: OutputOptions
    @OptionGroup var image: ImageOptions

    func run() throws {
        let tree = try AttachmentTree(source: try image.open(), platform: try image.selectedPlatform)
        try Output.emit(tree) { tree.lines }
    }
}
