import BullaCrypto

/// A Docker image name in the normalised form `docker save` writes into `RepoTags`
/// (`docker.io/library/alpine:latest`), so `alpine`, `library/alpine:latest` and the full form
/// all name the same image. The grammar is the distribution project's reference grammar, less
/// digests (an archive names its images by tag).
struct DockerReference: Hashable, Sendable, CustomStringConvertible {
    let repository: String
    let tag: String

    init(parsing text: String) throws {
        guard !text.contains("@") else {
            throw BullaError(.invalidArgument, "\"\(text.prefix(80))\" is not an image name of the form [HOST[:PORT]/]PATH[:TAG]: a digest cannot name an image inside an archive")
        }
        let name = try Self.split(text)
        repository = ([name.domain] + name.path).joined(separator: "/")
        tag = name.tag ?? "latest"
    }

    /// `[HOST[:PORT]/]PATH[:TAG]` taken apart by the distribution reference grammar: the host
    /// (`docker.io` when the first component cannot be one), the path components (with
    /// Docker Hub's `library/` for a one-component name there) and the tag.
    static func split(_ text: String) throws -> (domain: String, path: [String], tag: String?) {
        func refuse(_ why: String) -> BullaError {
            BullaError(.invalidArgument, "\"\(text.prefix(80))\" is not an image name of the form [HOST[:PORT]/]PATH[:TAG]: \(why)")
        }
        guard !text.isEmpty, text.utf8.count <= 255 else { throw refuse("empty or longer than 255 characters") }
        var components = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var tag: String?
        if let colon = components[components.count - 1].lastIndex(of: ":") {
            let last = components[components.count - 1]
            let text = String(last[last.index(after: colon)...])
            components[components.count - 1] = String(last[..<colon])
            guard Self.isTag(text) else { throw refuse("bad tag \"\(text)\"") }
            tag = text
        }
        var domain = "docker.io"
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" || first != first.lowercased() {
            guard Self.isDomain(first) else { throw refuse("bad host \"\(first)\"") }
            domain = Self.canonicalHost(first)
            components.removeFirst()
        }
        guard components.allSatisfy(Self.isPathComponent) else { throw refuse("path components are lower-case letters, digits and . _ -") }
        if domain == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        return (domain, components, tag)
    }

    /// Docker Hub's names for itself, all folded to `docker.io`.
    static let dockerHubAliases: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]

    /// The one spelling of a registry host policies match (spec/limits.md "Canonical image
    /// names"): lower case, without the default `:443`, and Docker Hub's aliases as `docker.io`,
    /// so `DOCKER.IO`, `docker.io:443` and `registry-1.docker.io` cannot slip past a rule
    /// written for `docker.io/**`.
    static func canonicalHost(_ host: String) -> String {
        let parts = host.lowercased().split(separator: ":", maxSplits: 1)
        var name = String(parts[0])
        // The port as the number it is: `:0443` is `:443`, which is the default and dropped.
        if parts.count == 2, let port = Int(parts[1]), port != 443 { name += ":\(port)" }
        return dockerHubAliases.contains(name) ? "docker.io" : name
    }

    var description: String { "\(repository):\(tag)" }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    private static func isPathComponent(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if isLowerAlnum(bytes[i]) { i += 1; continue }
            var j = i
            while j < bytes.count && !isLowerAlnum(bytes[j]) { j += 1 }
            let separator = String(decoding: bytes[i..<j], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    /// Host labels of letters, digits and inner hyphens, joined by dots, with an optional port.
    private static func isDomain(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 5, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
                  let port = Int(parts[1]), (1...65535).contains(port) else { return false }
        }
        let labels = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        // All-numeric labels are an IPv4 address: four octets, no leading zeros (which some
        // resolvers read as octal), so one address has one spelling.
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
            return labels.count == 4 && labels.allSatisfy { label in
                guard let value = Int(label), value <= 255 else { return false }
                return String(value) == label
            }
        }
        return labels.allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } && first != "-" && last != "-"
        }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    private static func isTag(_ text: String) -> Bool {
        guard let first = text.first, text.count <= 128, first != ".", first != "-" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    }
}
