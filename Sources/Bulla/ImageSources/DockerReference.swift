import BullaCrypto

/// A Docker image name in the normalised form `docker save` writes into `RepoTags`
/// (`docker.io/library/alpine:latest`), so `alpine`, `library/alpine:latest` and the full form
/// all name the same image.
struct DockerReference: Hashable, Sendable, CustomStringConvertible {
    let repository: String
    let tag: String

    init(parsing text: String) throws {
        guard !text.isEmpty, text.count <= 255, !text.contains("@"),
              text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 }) else {
            throw BullaError(.invalidArgument, "\"\(text.prefix(80))\" is not an image name of the form REPO[:TAG]")
        }
        var name = text
        var tag = "latest"
        if let colon = text.lastIndex(of: ":"), !text[text.index(after: colon)...].contains("/") {
            name = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
        }
        guard !name.isEmpty, !tag.isEmpty, name == name.lowercased() || name.contains(".") else {
            throw BullaError(.invalidArgument, "\"\(text)\" is not an image name of the form REPO[:TAG]")
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy({ !$0.isEmpty }) else {
            throw BullaError(.invalidArgument, "\"\(text)\" has an empty path component")
        }
        let first = components[0]
        let hasDomain = components.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost")
        if hasDomain {
            repository = name
        } else if components.count == 1 {
            repository = "docker.io/library/\(name)"
        } else {
            repository = "docker.io/\(name)"
        }
        self.tag = tag
    }

    var description: String { "\(repository):\(tag)" }
}
