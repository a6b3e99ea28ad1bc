import ArgumentParser
import Bulla
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image as a tree: index → manifests → config and layers, and what is attached to it.",
        discussion: """
            Reads every manifest and index (checking each against its digest) but no layer. The signatures, attestations and other referrers attached to the image are listed after it, as `bulla tree` lists them.

            EXAMPLES:
              bulla inspect registry.example.com/app:1.0
              bulla inspect oci:build/app --platform linux/arm64 -o json
            """)

    @OptionGroup var output: OutputOptions
    @OptionGroup var image: ImageOptions

    func run() throws {
        let source = try image.open()
        var tree = try ImageTree(source: source, platform: try image.selectedPlatform)
        let attached = try AttachmentTree(source: source, platform: try image.selectedPlatform)
        tree.attachments = attached.attachments
        try Output.emit(tree) {
            let attachments = attached.attachments.isEmpty ? [] : ["attached:"] + attached.attachments.map { "  " + $0.line }
            return ([String(TreeRenderer.render(tree).dropLast())] + attachments).joined(separator: "\n")
        }
    }
}

/// Draws an ``ImageTree`` with box-drawing characters.
enum TreeRenderer {
    static func render(_ tree: ImageTree) -> String {
        var out = "\(tree.reference)\n"
        draw(tree.root, prefix: "", isLast: true, into: &out)
        return out
    }

    private static func draw(_ node: ImageNode, prefix: String, isLast: Bool, into out: inout String) {
        out += prefix + (isLast ? "└─ " : "├─ ") + line(for: node) + "\n"
        let childPrefix = prefix + (isLast ? "   " : "│  ")
        for (i, child) in node.children.enumerated() {
            draw(child, prefix: childPrefix, isLast: i == node.children.count - 1, into: &out)
        }
    }

    private static func line(for node: ImageNode) -> String {
        var parts = [node.role.rawValue, node.digest.description, node.mediaType, Terminal.bytes(node.size)]
        if let platform = node.platform { parts.insert(platform.description, at: 1) }
        if let artifactType = node.artifactType { parts.append("artifactType=\(artifactType)") }
        if let subject = node.subject { parts.append("subject=\(subject.abbreviated)") }
        if let tag = node.annotations?["org.opencontainers.image.ref.name"] { parts.append("tag=\(tag)") }
        return parts.joined(separator: "  ")
    }
}
