import BullaCrypto

// Version orderings of the ecosystems a package URL can name, and ranges over them.
//
// Each scheme parses a version into a key and orders keys. A string the scheme's own tool
// would refuse is not a version of that scheme: `compare` answers nil rather than guess,
// because a wrong guess in a policy check silently lets a vulnerable package through.
// All parsing works on the UTF-8 bytes; every grammar here is ASCII.

/// How versions of one ecosystem order.
public enum VersionScheme: String, Sendable, Codable, CaseIterable {
    /// SemVer 2.0.0 precedence, leniently: a leading `v` and a missing minor or patch
    /// (`1.2` = `1.2.0`) are accepted, as advisories and package tooling write them.
    case semver
    /// Debian Policy 5.6.12, as `dpkg --compare-versions` orders.
    case debian
    /// apk-tools' ordering (Alpine's `apk version -t`).
    case alpine
    /// PEP 440, as PyPI `packaging.version.Version` orders.
    case pep440
    /// A Maven-like fallback for ecosystems without a formal grammar; see `GenericVersion`.
    case generic

    /// The scheme a package URL type calls for: deb → debian, apk → alpine, pypi → pep440,
    /// npm/cargo/golang/gem/nuget/composer/... → semver, maven and anything else → generic.
    public static func forPurlType(_ type: String) -> VersionScheme {
        switch type.lowercased() {
        case "deb": return .debian
        case "apk": return .alpine
        case "pypi": return .pep440
        case "npm", "cargo", "golang", "gem", "nuget", "composer", "hex", "pub", "swift", "cocoapods":
            return .semver
        default: return .generic
        }
    }

    /// Negative, zero or positive as a orders before, equal to, after b; nil when either is not
    /// a version of this scheme. The result is always -1, 0 or 1.
    public func compare(_ a: String, _ b: String) -> Int? {
        guard let order = comparer(for: a), let side = order(b) else { return nil }
        return -side
    }

    /// Parses `version` once and returns a function ordering a bound against it: the result
    /// is the sign of `bound` relative to `version`, nil when the bound does not parse. Nil
    /// when `version` itself does not parse.
    func comparer(for version: String) -> ((String) -> Int?)? {
        switch self {
        case .semver: return Self.comparer(SemanticVersion.self, version)
        case .debian: return Self.comparer(DebianVersion.self, version)
        case .alpine: return Self.comparer(AlpineVersion.self, version)
        case .pep440: return Self.comparer(PEP440Version.self, version)
        case .generic: return Self.comparer(GenericVersion.self, version)
        }
    }

    private static func comparer<V: SchemeVersion>(_: V.Type, _ version: String) -> ((String) -> Int?)? {
        guard let parsed = V(Array(version.utf8)) else { return nil }
        return { bound in V(Array(bound.utf8)).map { V.order($0, parsed).signum() } }
    }
}
