import BullaCrypto

/// What `sign`, `attest` and `sign-blob` made and where it went, as one typed value: the text a
/// person reads and the JSON a pipeline reads (`application/vnd.bulla.signing.v1+json`) come
/// from it, so neither is parsed from the other.
public struct SigningReport: Sendable, Encodable {
    /// The media type of the JSON form (spec/cli.md).
    public static let mediaType = "application/vnd.bulla.signing.v1+json"

    /// Carried in the JSON so a reader knows what it holds.
    public var mediaType = SigningReport.mediaType
    /// The signing key's ID (spec/keys.md): what a verifier's `--key` must match.
    public var keyID: String
    /// The key's algorithm, as `key generate --algorithm` names it.
    public var algorithm: KeyAlgorithm
    /// The predicate type signed: cosign's sign/v1 for a signature; nil for a file.
    public var predicateType: String?
    /// How it is stored: `bundle`, `legacy`, or `detached` (a bundle file).
    public var format: String
    /// The layout, repository or bundle file written to.
    public var location: String
    /// One item per thing signed.
    public var items: [SignedItem]

    /// A report of `items` signed by `key`.
    public init(key: SigningKey, predicateType: String?, format: String, location: String, items: [SignedItem]) {
        self.keyID = key.publicKey.keyID
        self.algorithm = key.algorithm
        self.predicateType = predicateType
        self.format = format
        self.location = location
        self.items = items
    }
}

/// One signed subject: what was signed, the manifest that stores the signature, and where the
/// signature sits in a transparency log when `--log` recorded it.
public struct SignedItem: Sendable, Encodable, Hashable {
    /// The digest signed: an image manifest's, or a file's SHA-256.
    public var subject: String
    /// The digest of the manifest written to hold the signature (a referrer, or the `.sig`/`.att`
    /// manifest); nil for a detached bundle.
    public var stored: String?
    /// The log entry, when the signature was recorded.
    public var log: LogPlacement?

    /// An item for `subject`, stored in `stored`, at `log`.
    public init(subject: String, stored: String? = nil, log: LogPlacement? = nil) {
        self.subject = subject
        self.stored = stored
        self.log = log
    }
}

/// Where an entry sits in a transparency log: its index and the size of the signed checkpoint
/// its inclusion proof leads to.
public struct LogPlacement: Sendable, Encodable, Hashable {
    /// The entry's index (the bundle's `logIndex`).
    public var index: UInt64
    /// The size of the checkpoint the bundle carries.
    public var treeSize: UInt64

    /// The placement of a bundle's log entry (`tlogEntries[i]`), nil when it states none.
    public init?(entry: JSONValue) {
        guard let index = entry["logIndex"]?.stringValue.flatMap({ UInt64($0) }),
              let size = entry["inclusionProof"]?["treeSize"]?.stringValue.flatMap({ UInt64($0) }) else { return nil }
        self.index = index
        self.treeSize = size
    }
}

extension SigstoreBundle {
    /// Where the bundle's first log entry sits, if it has one.
    public var logPlacement: LogPlacement? { tlogEntries.first.flatMap(LogPlacement.init(entry:)) }
}
