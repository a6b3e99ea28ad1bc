import BullaCrypto

/// A Sigstore bundle's transparency-log entry (protobuf-specs `dev.sigstore.rekor.v1.
/// TransparencyLogEntry`, JSON form) from a Rekor v1 or v2 log, with the offline checks that
/// make it evidence: the inclusion promise (SET), the inclusion proof and its signed
/// checkpoint, the integration time, and a body that records this bundle's signature. Each
/// check is its own method, so a report can list which held; ``verify(against:content:signer:timestamp:requireInclusionProof:now:)`` runs them all.
public struct RekorEntry: Sendable, Hashable {
    /// What the bundle signed, which the entry's body must record.
    public enum SignedContent: Sendable, Hashable {
        /// A signature over an artifact with this digest (the artifact's, never the bundle's hint).
        case messageSignature(digest: Digest, signature: [UInt8])
        /// A DSSE envelope with its one signature.
        case dsse(DSSEEnvelope)
    }

    /// An inclusion proof (RFC 9162 §2.1.3) with the checkpoint that signs its root.
    public struct Proof: Sendable, Hashable {
        /// The leaf's index in the tree the proof is for (in Rekor v1, within the log's shard).
        public var logIndex: UInt64
        /// The root the proof leads to.
        public var rootHash: [UInt8]
        /// The size of that tree.
        public var treeSize: UInt64
        /// Sibling hashes from the leaf up.
        public var hashes: [[UInt8]]
        /// The C2SP signed note of the tree head; nil when absent, which fails the check.
        public var checkpoint: [UInt8]?
    }

    /// Largest canonicalized body read: intoto entries carry the whole envelope.
    public static let maxBodyBytes = 16 << 20
    /// Most proof hashes read: a tree of 2^64 leaves needs 64.
    public static let maxProofHashes = 64
    /// How far ahead of this machine's clock an integration time may be.
    public static let maxClockSkew = 60

    /// The entry's index in the log as a whole; never negative.
    public var logIndex: UInt64
    /// The log's ID (`logId.keyId`), which picks the log in the trusted root.
    public var logID: [UInt8]
    /// `kindVersion.kind`: `hashedrekord`, `dsse` or `intoto`.
    public var kind: String
    /// `kindVersion.version`: `0.0.1`/`0.0.2`; `0.0.2` hashedrekord and dsse are Rekor v2's.
    public var version: String
    /// When a Rekor v1 log says it integrated the entry; nil for Rekor v2 (no such field, or 0).
    public var integratedTime: Int?
    /// The inclusion promise: the log's signature over the entry and its time (Rekor v1).
    public var signedEntryTimestamp: [UInt8]?
    /// The inclusion proof, when the bundle has one.
    public var inclusionProof: Proof?
    /// The entry as the log stored and hashed it.
    public var canonicalizedBody: [UInt8]

    /// Whether the entry comes from a Rekor v2 (tile-based) log: its checkpoint origin is the
    /// log's host, and it carries no time of its own.
    public var isRekorV2: Bool { version == "0.0.2" && (kind == "hashedrekord" || kind == "dsse") }

    /// Reads one element of a bundle's `verificationMaterial.tlogEntries`. Refuses a negative
    /// index, a missing log ID, kind, version or body, and sizes past the limits above.
    public init(json: JSONValue, what: String = "tlog entry") throws {
        let entry = ProtoJSONObject(json, what)
        guard case .object = json else { throw BullaError(.malformedInput, "\(what) is not an object") }
        logIndex = try Self.index(entry, "logIndex")
        logID = try entry.object("logId").bytes("keyId")
        let kindVersion = try entry.object("kindVersion")
        (kind, version) = (try kindVersion.string("kind"), try kindVersion.string("version"))
        let time = try entry.optionalInteger("integratedTime") ?? 0
        guard time >= 0 else { throw entry.error("integratedTime", "is negative") }
        integratedTime = time == 0 ? nil : Int(time)
        signedEntryTimestamp = try entry.optionalObject("inclusionPromise")?.bytes("signedEntryTimestamp")
        canonicalizedBody = try entry.bytes("canonicalizedBody", max: Self.maxBodyBytes)
        inclusionProof = try entry.optionalObject("inclusionProof").map { proof in
            Proof(logIndex: try Self.index(proof, "logIndex"), rootHash: try proof.bytes("rootHash"), treeSize: try Self.index(proof, "treeSize"),
                  hashes: try proof.byteList("hashes", max: Self.maxProofHashes),
                  checkpoint: try proof.optionalObject("checkpoint")?.optionalString("envelope").flatMap { $0.isEmpty ? nil : Array($0.utf8) })
        }
    }

    private static func index(_ object: ProtoJSONObject, _ name: String) throws -> UInt64 {
        guard let value = try object.optionalInteger(name) else { throw object.error(name, "is missing") }
        guard value >= 0 else { throw object.error(name, "is \(value): an index is never negative") }
        return UInt64(value)
    }

    // MARK: The whole check

    /// Runs every check: the log is trusted and its key valid at the entry's time, the body
    /// records `content` signed by `signer` (DER certificate or SubjectPublicKeyInfo, as the
    /// bundle carries it), the SET verifies when present, the inclusion proof and checkpoint
    /// verify (required for Rekor v2 and when `requireInclusionProof`, as bundles from v0.2 on
    /// must have one), and the time is not in the future. `timestamp` is a time proven by an
    /// RFC 3161 timestamp, the only time a Rekor v2 entry's log key can be judged at.
    public func verify(
        against root: TrustedRoot, content: SignedContent, signer: [UInt8], timestamp: Int? = nil,
        requireInclusionProof: Bool = true, now: Int = Timestamp.now
    ) throws -> VerifiedLogEntry {
        let log = try self.log(in: root, at: provenTime(timestamp: timestamp))
        try verifyTime(log: log, timestamp: timestamp, now: now)
        try verifyBody(matches: content, signer: signer)
        if signedEntryTimestamp != nil { try verifyInclusionPromise(log: log) }
        if inclusionProof != nil || requireInclusionProof || isRekorV2 { try verifyInclusionProof(log: log) }
        guard signedEntryTimestamp != nil || inclusionProof != nil else { throw fail("has neither an inclusion promise nor an inclusion proof") }
        return VerifiedLogEntry(logIndex: logIndex, logKeyID: Hex.encode(logID), baseURL: log.baseURL,
                                integratedTime: signedEntryTimestamp == nil ? nil : integratedTime, treeSize: inclusionProof?.treeSize)
    }

    private func fail(_ reason: String) -> BullaError { BullaError(.signatureInvalid, "tlog entry \(logIndex): \(reason)") }

    // MARK: Log and time

    /// The trusted log this entry names by `logId`; of several with that ID, the one whose key
    /// was valid at `time`. Throws when the root has no such log.
    public func log(in root: TrustedRoot, at time: Int? = nil) throws -> TrustedRoot.LogInstance {
        let logs = root.transparencyLogs(withID: logID)
        guard let first = logs.first else { throw fail("log ID \(Hex.encode(logID).prefix(16))… is not a transparency log of the trusted root") }
        return time.flatMap { t in logs.first { $0.publicKey.validFor.contains(t) } } ?? first
    }

    /// The time the entry's log key is judged at: its integration time only when a signed entry
    /// timestamp (verified with it) vouches for it, else `timestamp`, a verified RFC 3161 time.
    /// An unsigned `integratedTime` proves nothing and is never used.
    public func provenTime(timestamp: Int?) -> Int? {
        signedEntryTimestamp != nil ? integratedTime : timestamp
    }

    /// The entry's proven time (``provenTime(timestamp:)``) lies in the log key's validity, ends
    /// included, and no integration time is ahead of `now` by more than ``maxClockSkew``.
    public func verifyTime(log: TrustedRoot.LogInstance, timestamp: Int?, now: Int = Timestamp.now) throws {
        if let integratedTime, integratedTime > now + Self.maxClockSkew {
            throw fail("integratedTime \(Timestamp.rfc3339(integratedTime)) is in the future (now \(Timestamp.rfc3339(now)))")
        }
        guard let time = provenTime(timestamp: timestamp) else {
            throw fail("has no integration time and no timestamp to judge the log key's validity at")
        }
        guard log.publicKey.validFor.contains(time) else {
            throw fail("the key of \(log.baseURL) was trusted \(log.publicKey.validFor), not at \(Timestamp.rfc3339(time))")
        }
    }

    // MARK: Inclusion promise

    /// The SET (Rekor v1): the log key's signature over the canonical JSON
    /// `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}` (members sorted, no spaces; body
    /// in base64, log ID in hex), as sigstore-go's `VerifySET` rebuilds it.
    public func verifyInclusionPromise(log: TrustedRoot.LogInstance) throws {
        guard let set = signedEntryTimestamp else { throw fail("has no inclusion promise (signedEntryTimestamp)") }
        guard let integratedTime else { throw fail("has an inclusion promise but no integratedTime") }
        let payload = JSONValue.object([
            ("body", .string(Base64.encode(canonicalizedBody))), ("integratedTime", .integer(Int64(integratedTime))),
            ("logID", .string(Hex.encode(logID))), ("logIndex", .integer(Int64(logIndex))),
        ]).serialized
        let key: VerifyingKey
        do { key = try log.publicKey.verifyingKey() } catch let error as BullaError { throw fail("inclusion promise: \(error.message)") }
        guard key.isValidSignature(set, for: payload) else { throw fail("inclusion promise (SET) does not verify under the key of \(log.baseURL)") }
    }

    // MARK: Inclusion proof

    /// The proof leads from the body's leaf hash to `rootHash` at `treeSize`, and a checkpoint
    /// signed by the log's key commits to that size and root. Rekor v2: the checkpoint's
    /// origin must be the log's host and the signature line's name with it (C2SP key ID);
    /// Rekor v1: the origin is `<host> - <tree ID>` and lines are named by the host, with the
    /// key hint SHA-256(key DER)[:4]. Lines by other keys (witnesses) are ignored.
    public func verifyInclusionProof(log: TrustedRoot.LogInstance) throws {
        guard let proof = inclusionProof else { throw fail("has no inclusion proof") }
        guard log.hashAlgorithm == "SHA2_256" else { throw fail("log \(log.baseURL) hashes with \(log.hashAlgorithm), not SHA2_256") }
        let computed = try wrap("inclusion proof") {
            try InclusionProof(index: proof.logIndex, treeSize: proof.treeSize, hashes: proof.hashes)
                .root(forLeaf: MerkleHash.leaf(canonicalizedBody))
        }
        guard computed == proof.rootHash else {
            throw fail("inclusion proof leads to \(Hex.encode(computed).prefix(16))…, not its rootHash \(Hex.encode(proof.rootHash).prefix(16))…")
        }
        guard let note = proof.checkpoint else { throw fail("inclusion proof has no checkpoint") }
        let (signed, checkpoint) = try wrap("checkpoint") { () -> (SignedNote, Checkpoint) in
            let signed = try SignedNote(parsing: note)
            return (signed, try Checkpoint(text: signed.text))
        }
        let name: String
        if isRekorV2 {
            name = log.hostname
            guard checkpoint.origin == name else {
                throw fail("checkpoint origin \"\(checkpoint.origin.prefix(80))\" is not the log's \"\(name)\"")
            }
        } else {
            name = String(checkpoint.origin.prefix { $0 != " " })
        }
        try wrap("checkpoint") { try signed.verify(by: [try NoteVerifier(name: name, key: try log.publicKey.verifyingKey())]) }
        guard checkpoint.size == proof.treeSize else {
            throw fail("checkpoint size \(checkpoint.size) is not the proof's treeSize \(proof.treeSize)")
        }
        guard checkpoint.rootHash == proof.rootHash else {
            throw fail("checkpoint root \(Hex.encode(checkpoint.rootHash).prefix(16))… is not the proof's rootHash")
        }
    }

    @discardableResult
    private func wrap<T>(_ step: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as BullaError { throw fail("\(step): \(error.message)") }
    }

    // MARK: Body

    /// The body records `content` as signed by `signer`: hashedrekord 0.0.1 (digest, signature,
    /// PEM certificate or key), hashedrekord 0.0.2 (Rekor v2; for DSSE, the digest of the PAE),
    /// dsse 0.0.1 and 0.0.2 (payload hash, signatures with verifiers) and intoto 0.0.2 (the
    /// envelope with payload and signatures base64-encoded twice, payload hash). The body's kind
    /// and version must be the entry's. `envelopeHash` and intoto's `content.hash` are not
    /// compared: they hash a serialization of the envelope that is not the bundle's.
    public func verifyBody(matches content: SignedContent, signer: [UInt8]) throws {
        let body = try wrap("body") { try JSONValue(parsing: canonicalizedBody, what: "body") }
        guard body["kind"]?.stringValue == kind, body["apiVersion"]?.stringValue == version else {
            throw mismatch("it is \(body["kind"]?.stringValue ?? "?") \(body["apiVersion"]?.stringValue ?? "?"), the entry says \(kind) \(version)")
        }
        let spec = body["spec"] ?? .null
        switch (kind, version, content) {
        case ("hashedrekord", "0.0.1", .messageSignature(let digest, let signature)):
            try expect(spec["data"]?["hash"]?["algorithm"]?.stringValue == digest.algorithm.rawValue
                && spec["data"]?["hash"]?["value"]?.stringValue == digest.hex, "it records another artifact digest")
            try expect(Self.base64(spec["signature"]?["content"]) == signature, "it records another signature")
            try expect(Self.pemDER(spec["signature"]?["publicKey"]?["content"]) == signer, "it records another certificate or key")
        case ("hashedrekord", "0.0.2", _):
            let record = spec["hashedRekordV002"] ?? .null
            let (digest, signature) = try signed(content, digestAlgorithm: record["data"]?["algorithm"]?.stringValue)
            try expect(Self.base64(record["data"]?["digest"]) == digest.bytes, "it records another digest (of the artifact, or of the DSSE PAE)")
            try expect(Self.base64(record["signature"]?["content"]) == signature, "it records another signature")
            try expect(Self.verifierDER(record["signature"]?["verifier"]) == signer, "it records another certificate or key")
        case ("dsse", "0.0.1", .dsse(let envelope)):
            try expect(spec["payloadHash"]?["algorithm"]?.stringValue == "sha256"
                && spec["payloadHash"]?["value"]?.stringValue == Digest.compute(.sha256, over: envelope.payload).hex, "it records another payload")
            try expectSignatures(spec["signatures"], of: envelope, signer: signer) { (Self.base64($0["signature"]), Self.pemDER($0["verifier"])) }
        case ("dsse", "0.0.2", .dsse(let envelope)):
            let record = spec["dsseV002"] ?? .null
            try expect(record["payloadHash"]?["algorithm"]?.stringValue == "SHA2_256"
                && Self.base64(record["payloadHash"]?["digest"]) == Digest.compute(.sha256, over: envelope.payload).bytes, "it records another payload")
            try expectSignatures(record["signatures"], of: envelope, signer: signer) { (Self.base64($0["content"]), Self.verifierDER($0["verifier"])) }
        case ("intoto", "0.0.2", .dsse(let envelope)):
            let recorded = spec["content"] ?? .null
            try expect(recorded["payloadHash"]?["algorithm"]?.stringValue == "sha256"
                && recorded["payloadHash"]?["value"]?.stringValue == Digest.compute(.sha256, over: envelope.payload).hex, "it records another payload")
            let inner = recorded["envelope"] ?? .null
            try expect(inner["payloadType"]?.stringValue == envelope.payloadType, "it records another payloadType")
            if let payload = inner["payload"] { try expect(Self.base64Twice(payload) == envelope.payload, "its envelope holds another payload") }
            try expectSignatures(inner["signatures"], of: envelope, signer: signer) { (Self.base64Twice($0["sig"]), Self.pemDER($0["publicKey"])) }
        case ("hashedrekord", "0.0.1", .dsse), ("dsse", _, .messageSignature), ("intoto", _, .messageSignature):
            throw mismatch("a \(kind) entry does not record a bundle's \(Self.describe(content))")
        default:
            throw BullaError(.unsupported, "tlog entry \(logIndex): kind \(kind) \(version) is not one Bulla reads "
                + "(hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2, intoto 0.0.2)")
        }
    }

    private func mismatch(_ reason: String) -> BullaError { fail("body does not match the bundle: \(reason)") }

    private func expect(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
        guard condition else { throw mismatch(reason()) }
    }

    /// The body's signature list holds exactly the envelope's signatures, each by `signer`.
    private func expectSignatures(_ list: JSONValue?, of envelope: DSSEEnvelope, signer: [UInt8], _ read: (JSONValue) -> ([UInt8]?, [UInt8]?)) throws {
        guard case .array(let items)? = list, items.count == envelope.signatures.count else {
            throw mismatch("it records another number of signatures than the envelope's \(envelope.signatures.count)")
        }
        for item in items {
            let (signature, verifier) = read(item)
            try expect(envelope.signatures.contains { $0.signature == signature }, "it records a signature the envelope does not hold")
            try expect(verifier == signer, "it records another certificate or key")
        }
    }

    /// The digest and signature a hashedrekord 0.0.2 body records for `content`: the artifact's
    /// digest, or the digest of the envelope's PAE (Rekor v2 "hashedrekord over DSSE").
    private func signed(_ content: SignedContent, digestAlgorithm name: String?) throws -> (Digest, [UInt8]) {
        let algorithm: DigestAlgorithm? = switch name {
        case "SHA2_256": .sha256
        case "SHA2_384": .sha384
        case "SHA2_512": .sha512
        default: nil
        }
        switch content {
        case .messageSignature(let digest, let signature):
            try expect(algorithm == digest.algorithm, "it records a \(name ?? "missing") digest, the artifact's is \(digest.algorithm.rawValue)")
            return (digest, signature)
        case .dsse(let envelope):
            guard let algorithm else { throw mismatch("its digest algorithm \(name ?? "missing") is not SHA2_256/384/512") }
            try expect(envelope.signatures.count == 1, "it records one signature, the envelope holds \(envelope.signatures.count)")
            return (Digest.compute(algorithm, over: envelope.preAuthenticationEncoding), envelope.signatures[0].signature)
        }
    }

    private static func describe(_ content: SignedContent) -> String {
        switch content {
        case .messageSignature: "message signature"
        case .dsse: "DSSE envelope"
        }
    }

    private static func base64(_ value: JSONValue?) -> [UInt8]? { value?.stringValue.flatMap { ProtoJSONObject.base64(Array($0.utf8)) } }

    /// intoto 0.0.2 stores the envelope's (already base64) payload and signatures base64 again.
    private static func base64Twice(_ value: JSONValue?) -> [UInt8]? {
        base64(value).flatMap { ProtoJSONObject.base64($0) }
    }

    /// A base64 PEM `CERTIFICATE` or `PUBLIC KEY` (Rekor v1 bodies) as DER.
    private static func pemDER(_ value: JSONValue?) -> [UInt8]? {
        guard let pem = base64(value) else { return nil }
        return (try? PEM.decode(pem, label: "CERTIFICATE")) ?? (try? PEM.decode(pem, label: "PUBLIC KEY"))
    }

    /// A Rekor v2 `Verifier`: `x509Certificate.rawBytes` or `publicKey.rawBytes`, DER.
    private static func verifierDER(_ value: JSONValue?) -> [UInt8]? {
        base64(value?["x509Certificate"]?["rawBytes"]) ?? base64(value?["publicKey"]?["rawBytes"])
    }
}

/// What a verified log entry proves, for the verification report.
public struct VerifiedLogEntry: Sendable, Hashable, Codable {
    /// The entry's index in its log.
    public var logIndex: UInt64
    /// The log's ID in hex (for a Bulla log, the ID of the log key that signed its checkpoint).
    public var logKeyID: String
    /// Where the log is: its `baseUrl` in the trusted root, or a Bulla log's checkpoint origin.
    public var baseURL: String
    /// The integration time the log signed (a verified SET); nil for Rekor v2 and proof-only entries.
    public var integratedTime: Int?
    /// The size of the tree the inclusion proof and checkpoint are for, when there was a proof.
    public var treeSize: UInt64?
}
