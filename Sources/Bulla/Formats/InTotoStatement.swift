import BullaCrypto

/// An in-toto attestation Statement (in-toto/attestation spec/v1/statement.md): what a DSSE
/// envelope with payloadType `application/vnd.in-toto+json` carries.
public struct InTotoStatement: Sendable {
    /// The DSSE payloadType that marks an envelope's payload as an in-toto statement.
    public static let payloadType = "application/vnd.in-toto+json"
    /// The `_type` of Statement v1, which Bulla writes.
    public static let typeV1 = "https://in-toto.io/Statement/v1"
    /// The `_type` of Statement v0.1, still read because older attesters write it.
    public static let typeV01 = "https://in-toto.io/Statement/v0.1"
    /// The predicate cosign v3 signs an image with.
    public static let cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

    /// What a statement is about: an artifact named by its digests, which a verifier matches.
    public struct Subject: Sendable, Hashable {
        /// The artifact's name, informative only: trust follows the digest, never the name.
        public var name: String?
        /// Algorithm name (`sha256`) → lower-case hex.
        public var digest: [String: String]
        /// Annotations on the subject; cosign puts `-a key=value` pairs here, which policies can test.
        public var annotations: [String: String]?

        /// A subject from its parts, as written into a new statement.
        public init(name: String?, digest: [String: String], annotations: [String: String]?) {
            self.name = name
            self.digest = digest
            self.annotations = annotations
        }
    }

    /// The statement's `_type`: ``typeV1`` or ``typeV01``.
    public var type: String
    /// The artifacts attested; a verifier needs one naming the image's digest.
    public var subjects: [Subject]
    /// The URI saying what the predicate is (SPDX, SLSA…), matched against `--type`.
    public var predicateType: String
    /// The predicate exactly as signed.
    public var predicate: RawJSON

    /// The statement cosign v3 writes for `cosign sign`: the image digest as the only subject,
    /// `-a` annotations on it (an empty object when there are none), an empty predicate.
    public static func imageSignature(of digest: Digest, annotations: [String: String]) -> InTotoStatement {
        InTotoStatement(
            type: typeV1,
            subjects: [Subject(name: nil, digest: [digest.algorithm.rawValue: digest.hex], annotations: annotations)],
            predicateType: cosignSignPredicate, predicate: RawJSON(.object([])))
    }

    /// Compact JSON in the member order of the protobuf definition, as cosign writes it. The
    /// predicate is embedded as its bytes, so a predicate is signed exactly as it was given.
    public var serialized: [UInt8] {
        let head = JSONValue.object([
            ("_type", .string(type)),
            ("subject", .array(subjects.map { subject in
                var members: [(String, JSONValue)] = []
                if let name = subject.name { members.append(("name", .string(name))) }
                members.append(("digest", .annotations(subject.digest)))
                if let annotations = subject.annotations { members.append(("annotations", .annotations(annotations))) }
                return .object(members)
            })),
            ("predicateType", .string(predicateType)),
        ]).serialized
        var out = Array(head.dropLast())
        out.reserveCapacity(head.count + predicate.bytes.count + 16)
        out += Array(#","predicate":"#.utf8)
        out += predicate.bytes
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses a payload; accepts Statement v1 and v0.1. Refuses a statement with no subject, a
    /// subject with no digest, and any other `_type`. The predicate is validated but kept as
    /// the bytes it lies in (no copy of a large SBOM).
    public init(payload: [UInt8], limits: Limits = .default) throws {
        var type: String?, predicateType: String?, subject: JSONValue?
        var predicate: Range<Int>?
        let what = "in-toto statement"
        try JSONReader.read(payload, what: what, maxDepth: limits.maxJSONDepth) { reader in
            try reader.object { reader, name in
                if name.is("_type") {
                    type = try reader.optionalString("_type")
                } else if name.is("predicateType") {
                    predicateType = try reader.optionalString("predicateType")
                } else if name.is("subject") {
                    subject = try reader.value()
                } else if name.is("predicate") {
                    predicate = try reader.raw()
                } else {
                    try reader.skip()
                }
            }
        }
        guard let type, type == Self.typeV1 || type == Self.typeV01 else {
            throw BullaError(.malformedInput, "in-toto statement _type is \(type.map { JSONValue.string($0).text } ?? "missing"); expected \(Self.typeV1) or \(Self.typeV01)")
        }
        guard let predicateType, !predicateType.isEmpty else {
            throw BullaError(.malformedInput, "in-toto statement has no predicateType")
        }
        guard case .array(let items)? = subject, !items.isEmpty else {
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
        self.predicate = RawJSON(validated: predicate.map { payload[$0] } ?? Array("null".utf8)[...])
    }

    /// A statement from its parts, for `attest` to sign; `serialized` gives the payload bytes.
    public init(type: String, subjects: [Subject], predicateType: String, predicate: RawJSON) {
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
