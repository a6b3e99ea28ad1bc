import BullaCrypto

/// An image in a registry, `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`, read by the distribution
/// project's reference grammar: a name without a host is on Docker Hub (`alpine` is
/// `docker.io/library/alpine`), and a name with neither tag nor digest means `:latest`.
public struct RegistryReference: Hashable, Sendable, CustomStringConvertible {
    /// `HOST[:PORT]` as written, with Docker Hub's aliases folded to `docker.io`.
    public let registry: String
    /// The repository path inside the registry (`library/alpine`, `payments/api`).
    public let repository: String
    /// The tag, `latest` when neither tag nor digest is given; nil when only a digest is.
    public let tag: String?
    /// When present, the manifest is fetched by this digest and must hash to it; a tag next
    /// to it is only a label.
    public let digest: Digest?

    /// A reference from parts already normalised; `init(parsing:)` is for text.
    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses `[HOST[:PORT]/]PATH[:TAG][@DIGEST]` with Docker Hub defaults (spec/image-references.md).
    public init(parsing text: String) throws {
        var name = Substring(text)
        var digest: Digest?
        if let at = text.firstIndex(of: "@") {
            name = text[..<at]
            do {
                digest = try Digest(parsing: String(text[text.index(after: at)...]))
            } catch let error as BullaError {
                throw BullaError(.invalidArgument, "\"\(text.prefix(80))\" names a bad digest: \(error.message)")
            }
        }
        let parts = try DockerReference.split(String(name))
        self.init(registry: parts.domain, repository: parts.path.joined(separator: "/"), tag: parts.tag ?? (digest == nil ? "latest" : nil), digest: digest)
    }

    /// The host API calls go to: Docker Hub serves `docker.io` names from `registry-1.docker.io`.
    public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

    /// The host without its port, for the loopback check and credential lookups.
    public var hostname: String {
        if registry.hasPrefix("[") { return String(registry.dropFirst().prefix { $0 != "]" }) }
        return String(registry.prefix { $0 != ":" })
    }

    /// `HOST/PATH`, the repository's full name (a legacy signature's docker-reference).
    public var name: String { "\(registry)/\(repository)" }

    /// The same repository, naming `digest` (and no tag).
    public func pinned(to digest: Digest) -> RegistryReference {
        RegistryReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }

    /// The same repository, naming `tag`.
    public func tagged(_ tag: String) -> RegistryReference {
        RegistryReference(registry: registry, repository: repository, tag: tag, digest: nil)
    }

    /// What goes in a manifest URL: the digest when there is one, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// `HOST/PATH[:TAG][@DIGEST]`, the canonical name policies match and messages give.
    public var description: String {
        name + (tag.map { ":\($0)" } ?? "") + (digest.map { "@\($0)" } ?? "")
    }
}
