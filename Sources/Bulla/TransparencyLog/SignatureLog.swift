import BullaCrypto

/// Where signatures are recorded as they are made: a log directory on this machine
/// (`LogRecorder`) or a log server reached over HTTP (BullaRegistry's `RemoteLog`).
public protocol SignatureLog: Sendable {
    /// Appends `entry` durably and says where it is, with a proof against a signed checkpoint
    /// that covers it.
    func submit(_ entry: [UInt8]) throws -> LogReceipt
}

/// What a log answers for an appended entry.
public struct LogReceipt: Sendable, Hashable {
    /// The entry's position in the log: the bundle's `logIndex`.
    public var index: UInt64
    /// The inclusion proof from the entry's leaf to the root the checkpoint signs.
    public var proof: InclusionProof
    /// The signed checkpoint (a C2SP signed note) the proof leads to.
    public var checkpoint: [UInt8]
    /// SHA-256 of the log key's DER public key: the bundle's `logId.keyId`.
    public var logID: [UInt8]

    /// A receipt from its parts, as a log directory or a log server's answer gives them.
    public init(index: UInt64, proof: InclusionProof, checkpoint: [UInt8], logID: [UInt8]) {
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
        self.logID = logID
    }

    /// The log ID of `key`: the SHA-256 of its DER public key, as bundles name a log.
    public static func logID(of key: VerifyingKey) -> [UInt8] {
        Digest.compute(.sha256, over: key.derRepresentation).bytes
    }

    /// The receipt as a log server sends it in answer to `POST /add`
    /// (`application/vnd.bulla.log-receipt.v1+json`; spec/transparency-log.md).
    public var json: [UInt8] {
        JSONValue.object([
            ("index", .string(String(index))),
            ("logId", .string(Base64.encode(logID))),
            ("treeSize", .string(String(proof.treeSize))),
            ("hashes", .array(proof.hashes.map { .string(Base64.encode($0)) })),
            ("checkpoint", .string(String(decoding: checkpoint, as: UTF8.self))),
        ]).serialized
    }

    /// The media type of a receipt as `POST /add` answers with it (spec/transparency-log.md).
    public static let mediaType = "application/vnd.bulla.log-receipt.v1+json"

    /// Reads a log server's answer, refusing non-decimal numbers and hashes not base64 of 32 bytes.
    public init(json bytes: [UInt8]) throws {
        func fail(_ reason: String) -> BullaError { BullaError(.malformedInput, "log receipt: \(reason)") }
        let value = try JSONValue(parsing: bytes, what: "log receipt")
        guard let index = value["index"]?.stringValue.flatMap({ UInt64($0) }) else { throw fail("no decimal index") }
        guard let size = value["treeSize"]?.stringValue.flatMap({ UInt64($0) }) else { throw fail("no decimal treeSize") }
        guard let logID = value["logId"]?.stringValue.flatMap(Base64.decode) else { throw fail("no base64 logId") }
        guard case .array(let items)? = value["hashes"] else { throw fail("no hashes") }
        let hashes = try items.map { item -> [UInt8] in
            guard let hash = item.stringValue.flatMap(Base64.decode), hash.count == MerkleHash.size else { throw fail("a hash is not base64 of 32 bytes") }
            return hash
        }
        guard let checkpoint = value["checkpoint"]?.stringValue else { throw fail("no checkpoint") }
        self.init(index: index, proof: InclusionProof(index: index, treeSize: size, hashes: hashes), checkpoint: Array(checkpoint.utf8), logID: logID)
    }

    /// Checks that the receipt is for `entry`: the proof leads from its leaf hash to the
    /// checkpoint's root. Returns the checkpoint's root. Whose signature the checkpoint carries
    /// is for the verifier to judge, with the log keys it trusts.
    public func root(for entry: [UInt8]) throws -> [UInt8] {
        let checkpoint = try Checkpoint(text: try SignedNote(parsing: checkpoint).text)
        guard proof.index == index, proof.treeSize == checkpoint.size else {
            throw BullaError(.signatureInvalid, "log receipt: proof for index \(proof.index) of \(proof.treeSize), entry \(index) of checkpoint size \(checkpoint.size)")
        }
        try proof.verify(leafHash: MerkleHash.leaf(entry), root: checkpoint.rootHash)
        return checkpoint.rootHash
    }
}

extension SignatureLog {
    /// Logs the Rekor-style entry for `envelope` signed by `signer` and returns the bundle's
    /// `tlogEntries` element, after checking that the log's answer proves the entry is in it.
    public func record(_ envelope: DSSEEnvelope, signer: VerifyingKey) throws -> JSONValue {
        let body = LogEntry.body(for: envelope, signer: signer)
        let receipt = try submit(body)
        let root = try receipt.root(for: body)
        return LogEntry.bundleEntry(body: body, index: receipt.index, proof: receipt.proof, root: root, checkpoint: receipt.checkpoint, logID: receipt.logID)
    }
}

/// Records signatures in a log directory: append the entry, sign a checkpoint that covers it
/// (consistent with the last), and prove the entry's inclusion.
public struct LogRecorder: SignatureLog {
    /// The log directory appended to; each submit opens it for writing and takes its lock.
    public let directory: String
    /// The log's key, which signs the checkpoint covering each new entry.
    public let logKey: SigningKey

    /// Records into the log at `directory`, signing checkpoints with `logKey`.
    public init(directory: String, logKey: SigningKey) {
        self.directory = directory
        self.logKey = logKey
    }

    /// Appends `entry`, signs a checkpoint covering it and returns its receipt, durable on return.
    public func submit(_ entry: [UInt8]) throws -> LogReceipt {
        let log = try TransparencyLog(opening: directory, forWriting: true)
        let batch = try log.appendSigned([entry], with: logKey)
        return try log.receipt(for: batch.indices.lowerBound, in: batch)
    }
}

/// A batch appended and covered by a newly signed checkpoint: what each of its entries'
/// receipts shares.
public struct SignedBatch: Sendable {
    /// The log indexes of the batch's entries, in append order.
    public let indices: Range<UInt64>
    /// The signed checkpoint covering the whole batch, which each receipt carries.
    public let checkpoint: [UInt8]
    /// The log ID of the key that signed the checkpoint.
    public let logID: [UInt8]
}

extension TransparencyLog {
    /// Appends `entries` as one durable batch and signs a checkpoint that covers them,
    /// consistent with the last one signed.
    public func appendSigned(_ entries: [[UInt8]], with key: SigningKey) throws -> SignedBatch {
        let indices = try append(entries)
        return SignedBatch(indices: indices, checkpoint: try signCheckpoint(with: key), logID: LogReceipt.logID(of: key.publicKey))
    }

    /// The receipt for entry `index` of `batch`: its inclusion proof in the tree the batch's
    /// checkpoint signs.
    public func receipt(for index: UInt64, in batch: SignedBatch) throws -> LogReceipt {
        let checkpointSize = batch.indices.upperBound
        return LogReceipt(index: index, proof: try inclusionProof(index: index, size: checkpointSize), checkpoint: batch.checkpoint, logID: batch.logID)
    }
}
