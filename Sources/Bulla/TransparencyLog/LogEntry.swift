import BullaCrypto

/// What the log records for a signature: a Rekor-style `dsse` entry body (v0.0.1) holding the
/// digests of the envelope and its payload, the signature and the public key — never the
/// payload, so an SBOM of any size is logged in a few hundred bytes.
public enum LogEntry {
    /// The Rekor entry kind written and required when reading a bundle's log entry back.
    public static let kind = "dsse"
    /// The version of the `dsse` kind written and required, as in Rekor's `kindVersion`.
    public static let version = "0.0.1"

    /// The canonical body: compact JSON, members sorted.
    public static func body(for envelope: DSSEEnvelope, signer: VerifyingKey) -> [UInt8] {
        let signatures = envelope.signatures.map { signature in
            JSONValue.object([
                ("signature", .string(Base64.encode(signature.signature))),
                ("verifier", .string(Base64.encode(Array(signer.pemRepresentation.utf8)))),
            ])
        }
        return JSONValue.object([
            ("apiVersion", .string(version)),
            ("kind", .string(kind)),
            ("spec", .object([
                ("envelopeHash", hash(Digest.compute(.sha256, over: envelope.json.serialized))),
                ("payloadHash", hash(Digest.compute(.sha256, over: envelope.payload))),
                ("signatures", .array(signatures)),
            ])),
        ]).serialized
    }

    private static func hash(_ digest: Digest) -> JSONValue {
        .object([("algorithm", .string("sha256")), ("value", .string(digest.hex))])
    }

    /// The bundle's `tlogEntries` element (protobuf-specs `TransparencyLogEntry`, JSON form).
    public static func bundleEntry(body: [UInt8], index: UInt64, proof: InclusionProof, root: [UInt8], checkpoint: [UInt8], logID: [UInt8]) -> JSONValue {
        .object([
            ("logIndex", .string(String(index))),
            ("logId", .object([("keyId", .string(Base64.encode(logID)))])),
            ("kindVersion", .object([("kind", .string(kind)), ("version", .string(version))])),
            ("integratedTime", .string("0")),
            ("inclusionProof", .object([
                ("logIndex", .string(String(index))),
                ("rootHash", .string(Base64.encode(root))),
                ("treeSize", .string(String(proof.treeSize))),
                ("hashes", .array(proof.hashes.map { .string(Base64.encode($0)) })),
                ("checkpoint", .object([("envelope", .string(String(decoding: checkpoint, as: UTF8.self)))])),
            ])),
            ("canonicalizedBody", .string(Base64.encode(body))),
        ])
    }

    /// Checks a bundle's log entry offline, from the bundle alone: the body records this
    /// envelope's payload and signature by `signer`, the inclusion proof leads from the body's
    /// leaf hash to the checkpoint's root, and the checkpoint is signed by one of `logKeys`.
    /// Returns where the entry is, for the report.
    public static func verify(_ entry: JSONValue, envelope: DSSEEnvelope, signer: VerifyingKey, logKeys: [VerifyingKey]) throws -> VerifiedLogEntry {
        func fail(_ reason: String) -> BullaError { BullaError(.signatureInvalid, "log entry: \(reason)") }
        guard let body = entry["canonicalizedBody"]?.stringValue.flatMap(Base64.decode) else { throw fail("no canonicalizedBody") }
        let recorded = try JSONValue(parsing: body, what: "log entry body")
        guard recorded["kind"]?.stringValue == kind else { throw fail("kind is \(recorded["kind"]?.text ?? "missing"), not \(kind)") }
        guard recorded["spec"]?["payloadHash"]?["value"]?.stringValue == Digest.compute(.sha256, over: envelope.payload).hex else {
            throw fail("it records another payload")
        }
        guard case .array(let signatures)? = recorded["spec"]?["signatures"],
              signatures.contains(where: { item in
                  item["signature"]?.stringValue.flatMap(Base64.decode).map { sig in envelope.signatures.contains { $0.signature == sig } } == true
                      && item["verifier"]?.stringValue.flatMap(Base64.decode).flatMap { try? VerifyingKey(pemRepresentation: $0) } == signer
              }) else {
            throw fail("it records another signature or signer")
        }
        guard let inclusion = entry["inclusionProof"], let index = inclusion["logIndex"]?.stringValue.flatMap({ UInt64($0) }),
              let size = inclusion["treeSize"]?.stringValue.flatMap({ UInt64($0) }), case .array(let hashItems)? = inclusion["hashes"],
              let note = inclusion["checkpoint"]?["envelope"]?.stringValue else {
            throw fail("no inclusion proof with a checkpoint")
        }
        let hashes = try hashItems.map { item -> [UInt8] in
            guard let hash = item.stringValue.flatMap(Base64.decode) else { throw fail("a proof hash is not base64") }
            return hash
        }
        let signed = try SignedNote(parsing: Array(note.utf8))
        let checkpoint = try Checkpoint(text: signed.text)
        // The key that signed is named in the result: each is tried alone, and when none
        // verifies, all together give the reason.
        let logKey = logKeys.first { key in
            (try? NoteVerifier(name: checkpoint.origin, key: key)).map { (try? signed.verify(by: [$0])) != nil } ?? false
        }
        guard let logKey else {
            do {
                try signed.verify(by: logKeys.compactMap { try? NoteVerifier(name: checkpoint.origin, key: $0) })
            } catch let error as BullaError {
                throw fail("checkpoint of \(checkpoint.origin): \(error.message)")
            }
            throw fail("checkpoint of \(checkpoint.origin): no trusted log key signs it")
        }
        guard checkpoint.size == size else { throw fail("the proof is for size \(size), the checkpoint signs \(checkpoint.size)") }
        if let stated = inclusion["rootHash"]?.stringValue {
            guard Base64.decode(stated) == checkpoint.rootHash else { throw fail("the proof's rootHash is not the checkpoint's root") }
        }
        try InclusionProof(index: index, treeSize: size, hashes: hashes).verify(leafHash: MerkleHash.leaf(body), root: checkpoint.rootHash)
        return VerifiedLogEntry(logIndex: index, logKeyID: logKey.keyID, baseURL: checkpoint.origin, integratedTime: nil, treeSize: size)
    }
}

