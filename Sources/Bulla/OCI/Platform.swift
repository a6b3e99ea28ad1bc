import BullaCrypto

/// The platform an image runs on (image-spec image-index.md, `platform`).
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The CPU architecture (`amd64`, `arm64`…), which must match for an entry to be selected.
    public var architecture: String
    /// The operating system (`linux`, `windows`), which must match for an entry to be selected.
    public var os: String
    /// `os.version` (Windows builds); shown, not matched.
    public var osVersion: String?
    /// `os.features`; shown, not matched.
    public var osFeatures: [String]?
    /// The CPU variant (`v7`, `v8`), matched only when the request names one.
    public var variant: String?
    /// CPU features; reserved by image-spec, shown, not matched.
    public var features: [String]?

    /// A platform from its parts, as `--platform` gives them.
    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    private enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Parses `os/arch[/variant]`, the form `--platform` takes (as docker and skopeo do).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw BullaError(.invalidArgument, "platform \"\(text)\" is not of the form os/arch[/variant], e.g. linux/arm64")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// `os/arch[/variant]`, the form `--platform` takes and messages list.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// Whether an index entry for `candidate` satisfies a request for `self`.
    ///
    /// OS and architecture must be equal; a requested variant must be equal too, except that
    /// `arm64` treats a missing variant and `v8` as the same (as containerd does).
    public func matches(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        guard let wanted = variant else { return true }
        let found = candidate.variant ?? (architecture == "arm64" ? "v8" : nil)
        return wanted == found
    }
}
