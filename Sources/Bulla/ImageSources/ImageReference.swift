import BullaCrypto

/// Where an image is, in the transport syntax of containers/skopeo (DESIGN.md "Image references").
public enum ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// `oci:DIR[:TAG]`: an OCI image layout directory.
    case ociLayout(path: String, tag: String?)
    /// `oci-archive:FILE[:TAG]`: an OCI image layout as a tar, plain, gzip or zstd.
    case ociArchive(path: String, tag: String?)
    /// `docker-archive:FILE[:REPO:TAG|:@N]`: a `docker save` / `podman save` tarball.
    case dockerArchive(path: String, selector: DockerArchiveSelector?)
    /// `docker://HOST/REPO…` or a bare `HOST/REPO…`: an image in a registry.
    case registry(RegistryReference)

    /// Which image of a multi-image docker archive is meant.
    public enum DockerArchiveSelector: Hashable, Sendable, CustomStringConvertible {
        /// A `REPO:TAG` as `docker save` recorded it in `RepoTags`.
        case name(String)
        /// `@N`: the N-th image of `manifest.json`, from 0.
        case position(Int)

        /// `REPO:TAG` or `@N`, as written after the archive's path.
        public var description: String {
            switch self {
            case .name(let name): name
            case .position(let n): "@\(n)"
            }
        }
    }

    /// Parses every form the CLI takes; a bare `HOST/REPO` is a registry image (spec/image-references.md).
    public init(parsing text: String) throws {
        func nonEmpty(_ path: String) throws -> String {
            guard !path.isEmpty else {
                throw BullaError(.invalidArgument, "image reference \"\(text)\" names no file or directory")
            }
            return path
        }
        if let rest = text.dropPrefix("oci:") {
            let (path, tag) = Self.splitPathAndTag(rest)
            self = .ociLayout(path: try nonEmpty(path), tag: tag)
        } else if let rest = text.dropPrefix("oci-archive:") {
            let (path, tag) = Self.splitPathAndTag(rest)
            self = .ociArchive(path: try nonEmpty(path), tag: tag)
        } else if let rest = text.dropPrefix("docker-archive:") {
            // As skopeo: the first ':' ends the path; what follows is REPO:TAG or @N.
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let path = try nonEmpty(String(parts[0]))
            guard parts.count == 2 else {
                self = .dockerArchive(path: path, selector: nil)
                return
            }
            let selector = String(parts[1])
            if let position = selector.dropPrefix("@") {
                guard let n = Int(position), n >= 0 else {
                    throw BullaError(.invalidArgument, "\"\(selector)\" in \"\(text)\" must be @N with N a position from 0")
                }
                self = .dockerArchive(path: path, selector: .position(n))
            } else {
                _ = try DockerReference(parsing: selector)
                self = .dockerArchive(path: path, selector: .name(selector))
            }
        } else if let rest = text.dropPrefix("docker://") {
            guard !rest.isEmpty else { throw BullaError(.invalidArgument, "\"\(text)\" names no registry image") }
            self = .registry(try RegistryReference(parsing: rest))
        } else if text.first.map({ $0.isLetter || $0.isNumber }) == true, let reference = try? RegistryReference(parsing: text) {
            self = .registry(reference)
        } else {
            throw BullaError(
                .invalidArgument,
                "\"\(text)\" is not an image reference: use oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG] or docker://HOST/REPO[:TAG]")
        }
    }

    /// An untagged layout or layout archive: commands that check content check all of it.
    public var isWholeLayout: Bool {
        switch self {
        case .ociLayout(_, nil), .ociArchive(_, nil): true
        default: false
        }
    }

    /// The text policy globs are matched against (spec/policy.md): a registry image as
    /// `HOST/PATH[:TAG][@DIGEST]` with Docker Hub's short names expanded, as the admission
    /// webhook names it too; any other reference as written here.
    public var policyName: String {
        if case .registry(let reference) = self { return reference.description }
        return description
    }

    /// The reference in its transport syntax, as reports print it; a registry always gets `docker://`.
    public var description: String {
        switch self {
        case .ociLayout(let path, let tag): "oci:\(path)" + (tag.map { ":\($0)" } ?? "")
        case .ociArchive(let path, let tag): "oci-archive:\(path)" + (tag.map { ":\($0)" } ?? "")
        case .dockerArchive(let path, let selector): "docker-archive:\(path)" + (selector.map { ":\($0)" } ?? "")
        case .registry(let reference): "docker://\(reference)"
        }
    }

    /// As skopeo's oci transports: the first ':' ends the path (so a path cannot hold one);
    /// everything after it is the tag.
    private static func splitPathAndTag(_ text: String) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        let tag = text[text.index(after: colon)...]
        return (String(text[..<colon]), tag.isEmpty ? nil : String(tag))
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
