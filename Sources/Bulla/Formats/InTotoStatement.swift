import BullaCrypto

/// An in-toto attestation Statement (in-toto/attestation spec/v1/statement.md): what a DSSE
/// envelope with payloadType `application/vnd.in-toto+json` carries.
public struct InTotoStatement: Sendable {
    public static let payloadType = "application/vnd.in-toto+json"
    public static let typeV1 = "https://in-toto.io/Statement/v1"
    public static let typeV01 = "https://in-toto.io/Statement/v0.1"
    /// The predicate cosign v3 signs an image with.
    public static let cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

    public struct Subject: Sendable, Hashable {
        public var name: String?
        /// Algorithm name (`sha256`) → lower-case hex.
        public var digest: [String: String]
        public var annotations: [String: String]?

        public init(name: String?, digest: [String: String], annotations: [String: String]?) {
            self.name = name
            self.digest = digest
            self.annotations = annotations
        }
    }

    public var type: String
    public var subjects: [Subject]
    public var predicateType: String
    public var predicate: JSONValue

    /// The statement cosign v3 writes for `cosign sign`: the image digest as the only subject,
    /// `-a` annotations on it (an empty object when there are none), an empty predicate.
    public static func imageSignature(of digest: Digest, annotations: [String: String]) -> InTotoStatement {
        InTotoStatement(
            type: typeV1,
            subjects: [Subject(name: nil, digest: [digest.algorithm.rawValue: digest.hex], annotations: annotations)],
            predicateType: cosignSignPredicate, predicate: .object([]))
    }

    /// Compact JSON in the member order of the protobuf definition, as cosign writes it.
    public var json: JSONValue {
        .object([
            ("_type", .string(type)),
            ("subject", .array(subjects.map { subject in
                var members: [(String, JSONValue)] = []
                if let name = subject.name { members.append(("name", .string(name))) }
                members.append(("digest", .annotations(subject.digest)))
                if let annotations = subject.annotations { members.append(("annotations", .annotations(annotations))) }
                return .object(members)
            })),
            ("predicateType", .string(predicateType)),
            ("predicate", predicate),
        ])
    }

    /// Parses a payload; accepts Statement v1 and v0.1. Refuses a statement with no subject, a
    /// subject with no digest, and any other `_type`.
    public init(payload: [UInt8], limits: Limits = .default) throws {
        let json = try JSONDocument.decode(JSONValue.self, from: payload, what: "in-toto statement", limits: limits, maxBytes: Int.max)
        guard case .string(let type)? = json["_type"], type == Self.typeV1 || type == Self.typeV01 else {
            throw BullaError(.malformedInput, "in-toto statement _type is \(json["_type"]?.text ?? "missing"); expected \(Self.typeV1) or \(Self.typeV01)")
        }
        guard case .string(let predicateType)? = json["predicateType"], !predicateType.isEmpty else {
            throw BullaError(.malformedInput, "in-toto statement has no predicateType")
        }
        guard case .array(let items)? = json["subject"], !items.isEmpty else {
            throw BullaError(.malformedInput, "in-toto statement has no subject")
        }
        subjects = try items.map { item in
            guard case .object(let digestMembers)? = item["digest"], !digestMembers.isEmpty else {
                throw BullaError(.malformedInput, "in-toto statement subject has no digest")
            }
            var digest: [String: String] = [:]
            for (algorithm, value) in digestMembers {
                guard case .string(let hex) = value else { throw BullaError(.malformedInput, "in-toto subject digest \(algorithm) is not a string") }
                digest[algorithm] = hex
            }
            var annotations: [String: String]?
            if case .object(let members)? = item["annotations"] {
                annotations = Dictionary(members.compactMap { key, value in value.stringValue.map { (key, $0) } }, uniquingKeysWith: { a, _ in a })
            }
            return Subject(name: item["name"]?.stringValue, digest: digest, annotations: annotations)
        }
        self.type = type
        self.predicateType = predicateType
        predicate = json["predicate"] ?? .null
    }

    public init(type: String, subjects: [Subject], predicateType: String, predicate: JSONValue) {
        self.type = type
        self.subjects = subjects
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// Whether a subject names exactly `digest` (same algorithm, same bytes).
    public func names(_ digest: Digest) -> Subject? {
        subjects.first { subject in
            subject.digest[digest.algorithm.rawValue].flatMap { Hex.decodeLowercase(Array($0.utf8)) } == digest.bytes
        }
    }
}
