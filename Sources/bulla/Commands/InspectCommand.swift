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
        abstract: "Show an image as a tree: index → manifests → config and layers.")

    @OptionGroup var image: ImageOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let tree = try ImageTree(source: image.open(), platform: try image.selectedPlatform)
        switch output.output {
        case .json: print(try JSONOutput.encode(tree))
        case .text: print(TreeRenderer.render(tree), terminator: "")
        }
    }
}

enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
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
