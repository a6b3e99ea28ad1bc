import BullaCrypto

/// The platform an image runs on (image-spec image-index.md, `platform`).
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    public var features: [String]?

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
