import BullaCrypto
import Yams

extension Policy {
    /// The newest policy format version this build reads.
    public static let formatVersion = 1

    /// The largest policy file read.
    public static let maxFileBytes = 4 << 20

    /// Reads a policy file; keys named by path are read relative to the file's directory.
    public static func load(_ path: String) throws -> Policy {
        try Policy(bytes: try FileIO.read(path, limit: maxFileBytes), file: path)
    }

    /// A policy from the bytes of the file at `file`, whose directory key paths are relative to.
    public init(bytes: [UInt8], file: String) throws {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BullaError(.malformedInput, "\(file): a policy is UTF-8 text")
        }
        let directory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
        try self.init(yaml: text, file: file, baseDirectory: directory)
    }

    /// Parses and checks a whole policy. Every mistake is refused here, naming the line and the
    /// field, so a policy that loads is one the evaluator can apply without surprises.
    public init(yaml: String, file: String = "policy", baseDirectory: String = ".") throws {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw BullaError(.malformedInput, "\(file): the policy is empty")
            }
            root = node
        } catch let error as YamlError {
            throw BullaError(.malformedInput, "\(file):\(PolicyNode.describe(error))")
        }
        var budget = Self.maxNodes
        guard Self.fits(root, within: &budget) else {
            throw BullaError(.limitExceeded, "\(file): the policy expands to more than \(Self.maxNodes) YAML nodes (through aliases, *name); write it out, or use fewer aliases")
        }
        let context = PolicyNode.Context(file: file, baseDirectory: baseDirectory)
        let top = try PolicyNode(root, path: "policy", context: context).mapping(["version", "noMatch", "rules"], required: ["version", "rules"])
        let version = try top["version"]!.int()
        guard version == Self.formatVersion else {
            throw top["version"]!.fail("version \(version) is not one this build reads (\(Self.formatVersion))")
        }
        let noMatch = try top["noMatch"].map { try $0.choice(NoMatch.self) } ?? .deny
        var names: Set<String> = []
        let rules = try top["rules"]!.list().map { node -> Rule in
            let rule = try Self.rule(node)
            guard names.insert(rule.name).inserted else { throw node.fail("a second rule is named \"\(rule.name)\"") }
            return rule
        }
        self.init(rules: rules, noMatch: noMatch, source: file, files: context.files.paths)
    }

    /// The most YAML nodes a policy may hold once its aliases are expanded: far above any real
    /// policy, far below what a few nested aliases in a short file expand to.
    public static let maxNodes = 100_000

    /// Counts `node` and everything under it, aliases expanded, against `budget`; stops as
    /// soon as it runs out, so a file of nested aliases costs at most `budget` steps.
    private static func fits(_ node: Node, within budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias:
            return true
        case .sequence(let sequence):
            return sequence.allSatisfy { fits($0, within: &budget) }
        case .mapping(let mapping):
            return mapping.allSatisfy { fits($0.key, within: &budget) && fits($0.value, within: &budget) }
        }
    }

    private static func rule(_ node: PolicyNode) throws -> Rule {
        let map = try node.mapping(
            ["name", "images", "namespaces", "mode"] + PolicySigners.fields + ["threshold", "annotations", "log", "attestations"], required: ["name", "images"])
        let images = try map["images"]!.strings(nonEmpty: true).map(ImageGlob.init)
        let namespaces = try map["namespaces"]?.strings(nonEmpty: true).map(ImageGlob.init) ?? []
        let signers = try PolicySigners.read(map, at: node)
        let annotations = try map["annotations"]?.stringMap() ?? [:]
        let logKeys = try map["log"].map { try $0.mapping(["keys"], required: ["keys"])["keys"]!.keys() } ?? []
        var signatures: TrustPolicy?
        if let signers {
            signatures = try signers.trust(threshold: map["threshold"], annotations: annotations, logKeys: logKeys)
        } else if let extra = map["threshold"] ?? map["annotations"] {
            throw extra.fail("applies to image signatures, which need keys, identities or roots on the rule")
        }
        let attestations = try map["attestations"]?.list().map { try attestation($0, ruleSigners: signers, logKeys: logKeys) } ?? []
        guard signatures != nil || !attestations.isEmpty else {
            throw node.fail("requires nothing: give keys, identities or roots (image signatures) or attestations")
        }
        return Rule(
            name: try map["name"]!.string(), images: images, namespaces: namespaces,
            mode: try map["mode"].map { try $0.choice(Mode.self) } ?? .enforce,
            signatures: signatures, attestations: attestations, line: node.line)
    }

    /// `logKeys`: the rule's trusted logs; when there are any, only attestations whose log entry
    /// verifies against one of them count, as for the rule's image signatures.
    private static func attestation(_ node: PolicyNode, ruleSigners: PolicySigners?, logKeys: [VerifyingKey]) throws -> AttestationRequirement {
        let map = try node.mapping(
            ["type"] + PolicySigners.fields + ["threshold", "maxAge", "deniedPackages", "deniedLicenses", "requiredFields"], required: ["type"])
        let typeNode = map["type"]!
        let type: PredicateType
        do { type = try PredicateType(parsing: try typeNode.string()) } catch let error as BullaError { throw typeNode.fail(error.message) }
        guard let signers = try PolicySigners.read(map, at: node) ?? ruleSigners else {
            throw node.fail("an attestation needs signers: keys, identities or roots on the attestation or on its rule")
        }
        var maxAge: Int?
        if let ageNode = map["maxAge"] {
            let text = try ageNode.string()
            guard let seconds = PolicyDuration.parse(text), seconds > 0 else {
                throw ageNode.fail("\"\(text)\" is not a duration (a number with s, m, h, d or w, as in 30d or 12h)")
            }
            maxAge = seconds
        }
        let denied = try map["deniedPackages"]?.list().map(packageDenial) ?? []
        let licenses = try map["deniedLicenses"]?.list().map { item -> LicenseDenial in
            do { return try LicenseDenial(try item.string()) } catch let error as BullaError { throw item.fail(error.message) }
        } ?? []
        let fields = try map["requiredFields"]?.list().map(fieldRequirement) ?? []
        return AttestationRequirement(
            type: type, trust: try signers.trust(threshold: map["threshold"], logKeys: logKeys),
            maxAge: maxAge, deniedPackages: denied, deniedLicenses: licenses, requiredFields: fields, line: node.line)
    }

    private static func packageDenial(_ node: PolicyNode) throws -> PackageDenial {
        let map = try node.mapping(["purl", "name", "versions", "scheme", "reason"], required: [])
        var purl: PackageURL?
        if let purlNode = map["purl"] {
            do { purl = try PackageURL(parsing: try purlNode.string()) } catch let error as BullaError { throw purlNode.fail(error.message) }
            if let version = purl?.version {
                throw purlNode.fail("names version \(version); give the package without a version and the range in versions")
            }
        }
        let name = try map["name"]?.string()
        guard (purl == nil) != (name == nil) else { throw node.fail("a denied package has exactly one of purl and name") }
        var versions: VersionRange?
        if let rangeNode = map["versions"] {
            do { versions = try VersionRange(try rangeNode.string()) } catch let error as BullaError { throw rangeNode.fail(error.message) }
        }
        return PackageDenial(
            purl: purl, name: name, versions: versions, scheme: try map["scheme"].map { try $0.choice(VersionScheme.self) },
            reason: try map["reason"]?.string(), line: node.line)
    }

    private static func fieldRequirement(_ node: PolicyNode) throws -> FieldRequirement {
        let map = try node.mapping(["pointer", "exists", "equals", "in", "matches"], required: ["pointer"])
        let pointerNode = map["pointer"]!
        let pointer: JSONPointer
        do { pointer = try JSONPointer(parsing: try pointerNode.string()) } catch let error as BullaError { throw pointerNode.fail(error.message) }
        let conditions = ["exists", "equals", "in", "matches"].compactMap { key in map[key].map { (key, $0) } }
        guard conditions.count == 1, let (key, value) = conditions.first else {
            throw node.fail("a required field has exactly one of exists, equals, in and matches")
        }
        let condition: FieldRequirement.Condition
        switch key {
        case "exists": condition = .exists(try value.bool())
        case "equals": condition = .equals(try value.json())
        case "in":
            let items = try value.list()
            guard !items.isEmpty else { throw value.fail("in needs at least one value") }
            condition = .oneOf(try items.map { try $0.json() })
        default:
            let pattern = try value.string()
            do { _ = try Regex(pattern) } catch { throw value.fail("\"\(pattern)\" is not a regular expression: \(error)") }
            condition = .matches(pattern)
        }
        return FieldRequirement(pointer: pointer, condition: condition, line: node.line)
    }
}

/// A YAML node with the path and line it came from, and the typed reads the loader needs;
/// each refusal names the file, the line and the field.
struct PolicyNode {
    struct Context {
        let file: String
        let baseDirectory: String
        /// The files the policy reads besides itself (keys by path), in the order met.
        let files = FileList()
    }

    /// Collects the files a policy refers to while it loads.
    final class FileList {
        private(set) var paths: [String] = []

        func add(_ path: String) {
            if !paths.contains(path) { paths.append(path) }
        }
    }

    let node: Node
    let path: String
    let context: Context

    init(_ node: Node, path: String, context: Context) {
        self.node = node
        self.path = path
        self.context = context
    }

    var line: Int { node.mark?.line ?? 0 }

    /// The resolved YAML tag: an unquoted `1` is an int, `"1"` a string.
    var tagName: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    func fail(_ reason: String) -> BullaError {
        BullaError(.malformedInput, "\(context.file):\(line): \(path): \(reason)")
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(mark.line): not YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "\(context.mark.line): the key \(duplicates.joined(separator: ", ")) appears twice in one mapping"
        default:
            return " not YAML: \(error)"
        }
    }

    /// The members of a mapping; unknown keys are refused (a misspelt key must not silently
    /// weaken a policy).
    func mapping(_ allowed: [String], required: [String]) throws -> [String: PolicyNode] {
        guard case .mapping(let mapping) = node else { throw fail("expected a mapping with \(allowed.joined(separator: ", "))") }
        var out: [String: PolicyNode] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw PolicyNode(key, path: path, context: context).fail("a key must be a plain name") }
            let name = scalar.string
            guard allowed.contains(name) else {
                throw PolicyNode(key, path: path, context: context).fail("unknown field \"\(name)\"; expected one of \(allowed.joined(separator: ", "))")
            }
            guard out[name] == nil else { throw PolicyNode(key, path: path, context: context).fail("\"\(name)\" appears twice") }
            out[name] = PolicyNode(value, path: "\(path).\(name)", context: context)
        }
        for name in required where out[name] == nil {
            throw fail("\(name) is required")
        }
        return out
    }

    func list() throws -> [PolicyNode] {
        guard case .sequence(let sequence) = node else { throw fail("expected a list") }
        return sequence.enumerated().map { PolicyNode($1, path: "\(path)[\($0)]", context: context) }
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node, tagName != .null || !scalar.string.isEmpty else { throw fail("expected a string") }
        return scalar.string
    }

    func strings(nonEmpty: Bool) throws -> [String] {
        let items = try list()
        guard !nonEmpty || !items.isEmpty else { throw fail("needs at least one entry") }
        return try items.map { try $0.string() }
    }

    func stringMap() throws -> [String: String] {
        guard case .mapping(let mapping) = node else { throw fail("expected a mapping of names to values") }
        var out: [String: String] = [:]
        for (key, value) in mapping {
            let name = try PolicyNode(key, path: path, context: context).string()
            out[name] = try PolicyNode(value, path: "\(path).\(name)", context: context).string()
        }
        return out
    }

    func int() throws -> Int {
        guard case .scalar = node, tagName == .int, let value = node.int else { throw fail("expected a whole number") }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar = node, tagName == .bool, let value = node.bool else { throw fail("expected true or false") }
        return value
    }

    func choice<T: RawRepresentable>(_ type: T.Type) throws -> T where T.RawValue == String, T: CaseIterable {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw fail("\"\(text)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Trusted public keys: paths (relative to the policy), `env://VAR`, or PEM text.
    func keys() throws -> [VerifyingKey] {
        let items = try list()
        guard !items.isEmpty else { throw fail("needs at least one key") }
        return try items.map { item in
            let text = try item.string()
            do {
                if text.hasPrefix("-----BEGIN") { return try VerifyingKey(pemRepresentation: text) }
                let location = text.hasPrefix("/") || text.hasPrefix("env://") ? text : "\(context.baseDirectory)/\(text)"
                if !location.hasPrefix("env://") { context.files.add(location) }
                return try KeyFile.verifyingKey(location)
            } catch let error as BullaError {
                throw item.fail(error.message)
            }
        }
    }

    /// A YAML value as JSON, for `equals` and `in`.
    func json() throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch tagName {
            case .null: return .null
            case .bool: return .bool(node.bool!)
            case .int: return node.int.map { .integer(Int64($0)) } ?? .string(scalar.string)
            case .float: return node.float.map { .number($0) } ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence:
            return .array(try list().map { try $0.json() })
        case .mapping(let mapping):
            return .object(try mapping.map { key, value in
                let name = try PolicyNode(key, path: path, context: context).string()
                return (name, try PolicyNode(value, path: "\(path).\(name)", context: context).json())
            })
        case .alias:
            throw fail("aliases are not read in policies")
        }
    }
}
