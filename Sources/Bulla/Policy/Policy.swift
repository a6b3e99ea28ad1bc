import BullaCrypto

/// What may run: rules that match images by glob, each naming who must have signed, which
/// attestations must exist, and what those attestations may and must say (spec/policy.md).
///
/// A policy is only ever built by loading it whole (``init(yaml:file:baseDirectory:)``), so an image is never
/// judged by half a policy.
public struct Policy: Sendable {
    /// What a rule's failures do: deny the image, or only report.
    public enum Mode: String, Sendable, Codable, CaseIterable { case enforce, warn }
    /// What happens to an image no rule matches.
    public enum NoMatch: String, Sendable, Codable, CaseIterable { case deny, allow }

    /// One `rules` entry: which images it covers and what they need to be allowed.
    public struct Rule: Sendable {
        /// The rule's unique name, which findings, decisions and the decision log cite.
        public var name: String
        /// Globs over the image's policy name; the rule applies when any one matches.
        public var images: [ImageGlob]
        /// Admission namespaces the rule is for; empty is every namespace (and the CLI).
        public var namespaces: [ImageGlob]
        /// `enforce` (failures deny) or `warn` (failures are only reported), to roll a rule out safely.
        public var mode: Mode
        /// Who must have signed the image; nil when the rule asks no image signature.
        public var signatures: TrustPolicy?
        /// The attestations the image must carry, each with its own trust and content rules.
        public var attestations: [AttestationRequirement]
        /// Where the rule starts in the policy file, for messages.
        public var line: Int
    }

    /// Every rule in file order; all that match an image must be met.
    public var rules: [Rule]
    /// What an image no rule matches gets: `deny` unless the policy says `allow`.
    public var noMatch: NoMatch
    /// The file the policy came from, for messages.
    public var source: String
    /// The files it read besides itself (trusted keys named by path): a server watching the
    /// policy watches these too, so replacing a key file revokes the old key.
    public var files: [String]

    /// A policy built in code (tests, embedders); files go through ``init(yaml:file:baseDirectory:)``.
    public init(rules: [Rule], noMatch: NoMatch = .deny, source: String = "policy", files: [String] = []) {
        self.rules = rules
        self.noMatch = noMatch
        self.source = source
        self.files = files
    }

    /// The rules that apply to `reference` (and, under admission, to `namespace`).
    public func rules(matching reference: String, namespace: String? = nil) -> [Rule] {
        rules.filter { rule in
            guard rule.images.contains(where: { $0.matches(reference) }) else { return false }
            guard !rule.namespaces.isEmpty else { return true }
            guard let namespace else { return false }
            return rule.namespaces.contains { $0.matches(namespace) }
        }
    }
}

/// An attestation a rule requires, and the rules on its content.
public struct AttestationRequirement: Sendable {
    /// The predicate type required (`spdxjson`, a URI…); attestations of other types do not count.
    public var type: PredicateType
    /// The keys, threshold and log an attestation must be signed under to count.
    public var trust: TrustPolicy
    /// Seconds; an attestation made longer ago than this does not count.
    public var maxAge: Int?
    /// Packages the attested SBOM must not contain (`deniedPackages`).
    public var deniedPackages: [PackageDenial]
    /// Licences no package of the SBOM may be taken under (`deniedLicenses`).
    public var deniedLicenses: [LicenseDenial]
    /// Fields the predicate must have, or have with given values (`requiredFields`).
    public var requiredFields: [FieldRequirement]
    /// Where the requirement starts in the policy file, for messages.
    public var line: Int

    /// Whether the content rules need the SBOM's package list.
    var readsPackages: Bool { !deniedPackages.isEmpty || !deniedLicenses.isEmpty }
}

/// A package that must not be in an SBOM: by purl (type, namespace and name) or by name, in a
/// version range or in every version.
public struct PackageDenial: Sendable {
    /// The package named by purl (type, namespace, name); the loader refuses a purl with a version.
    public var purl: PackageURL?
    /// The package named by name alone (case-insensitive), for SBOMs that give no purl.
    public var name: String?
    /// The versions denied; nil denies every version.
    public var versions: VersionRange?
    /// The ordering to compare versions with; nil takes the one the package's purl type calls for.
    public var scheme: VersionScheme?
    /// Why, in the policy author's words (printed with the denial).
    public var reason: String?
    /// Where the entry is in the policy file, for messages.
    public var line: Int

    /// What the denial is written as, for messages.
    public var subject: String {
        (purl.map(\.packageKey) ?? name ?? "?") + (versions.map { " \($0)" } ?? "")
    }

    /// Why `package` is denied by this entry, or nil when it is not.
    ///
    /// A package whose version is missing or cannot be ordered is denied when the entry has a
    /// range: nothing shows it is outside the range (fail closed).
    public func denial(of package: SBOMPackage) -> String? {
        denial(of: package, reading: package.purl.map(PackageURL.Reading.init))
    }

    /// As ``denial(of:)`` with the package's purl already read (once per package, not once
    /// per denial).
    ///
    /// Fails closed: a purl that does not parse is judged by the parts that can be read (type,
    /// namespace, name, version), and denied as unreadable when even those cannot be.
    func denial(of package: SBOMPackage, reading: PackageURL.Reading?) -> String? {
        let packageURL = reading?.readable
        var caveat = ""
        if let purl {
            if let packageURL {
                guard packageURL.packageKey == purl.packageKey else { return nil }
                if let failure = reading?.failure { caveat = " (unreadable purl, judged by its type, namespace and name: \(failure))" }
            } else if let failure = reading?.failure {
                return "unreadable purl (\(failure)): nothing shows it is not \(purl.packageKey)"
            } else {
                // No purl at all: a purl denial names a package by purl (deny by `name` too
                // for SBOMs that give none; spec/policy.md).
                return nil
            }
        } else if let name {
            guard package.name.lowercased() == name.lowercased() else { return nil }
        }
        guard let versions else { return "every version is denied" + caveat }
        return versionDenial(package, packageURL, versions).map { $0 + caveat }
    }

    private func versionDenial(_ package: SBOMPackage, _ packageURL: PackageURL?, _ versions: VersionRange) -> String? {
        guard let version = package.version ?? packageURL?.version, !version.isEmpty else {
            return "its version is unknown, so it cannot be shown to be outside \(versions)"
        }
        let scheme = self.scheme ?? VersionScheme.forPurlType(packageURL?.type ?? purl?.type ?? "")
        switch versions.contains(version, scheme: scheme) {
        case true?: return "version \(version) is in \(versions) (\(scheme.rawValue) ordering)"
        case false?: return nil
        case nil: return "version \(version) cannot be ordered as \(scheme.rawValue), so it cannot be shown to be outside \(versions)"
        }
    }
}

/// A field an attestation's predicate must have, by JSON Pointer (RFC 6901).
public struct FieldRequirement: Sendable {
    /// What the field must satisfy: `exists`, `equals`, `in` (one of) or `matches` (a regex).
    public enum Condition: Sendable {
        case exists(Bool)
        case equals(JSONValue)
        case oneOf([JSONValue])
        case matches(String)
    }

    /// Where the field is in the predicate.
    public var pointer: JSONPointer
    /// What the field's value must satisfy.
    public var condition: Condition
    /// Where the requirement is in the policy file, for messages.
    public var line: Int

    /// Why `predicate` fails the requirement, or nil when it meets it.
    public func violation(in predicate: RawJSON) throws -> String? {
        let found = try pointer.resolve(in: predicate)
        let value = try found.map { try $0.value() }
        let shown = value.map { Self.show($0) } ?? "missing"
        switch condition {
        case .exists(let wanted):
            if (value != nil) == wanted { return nil }
            return wanted ? "field \(pointer) is missing; it is required" : "field \(pointer) is \(shown); it must be absent"
        case .equals(let expected):
            if let value, Self.same(value, expected) { return nil }
            return "field \(pointer) is \(shown); required \(Self.show(expected))"
        case .oneOf(let allowed):
            if let value, allowed.contains(where: { Self.same(value, $0) }) { return nil }
            return "field \(pointer) is \(shown); required one of \(allowed.map(Self.show).joined(separator: ", "))"
        case .matches(let pattern):
            guard case .string(let text)? = value else {
                return "field \(pointer) is \(shown); required a string matching \(pattern)"
            }
            // The loader refuses patterns that do not compile; a requirement built another way
            // with a bad pattern fails rather than traps.
            guard let regex = try? Regex(pattern) else { return "field \(pointer): pattern \(pattern) does not compile" }
            if (try? regex.firstMatch(in: text)) != nil { return nil }
            return "field \(pointer) is \(shown); required to match \(pattern)"
        }
    }

    /// JSON equality: objects whatever their member order, numbers by value (`1` is `1.0`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            let indexed = Dictionary(y, uniquingKeysWith: { first, _ in first })
            return x.allSatisfy { key, value in indexed[key].map { same(value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default:
            return a == b
        }
    }

    private static func show(_ value: JSONValue) -> String {
        let text = value.text
        return text.count > 120 ? text.prefix(117) + "…" : text
    }
}
