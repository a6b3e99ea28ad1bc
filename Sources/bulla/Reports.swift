import Bulla
import BullaCrypto

// The JSON results of commands whose answer the library does not already type: each names its
// versioned media type (spec/cli.md lists them, spec/schemas/ has their JSON Schemas).

/// `bulla digest -o json`.
struct DigestReport: Encodable {
    let mediaType = "application/vnd.bulla.digest.v1+json"
    let reference: String
    let digest: Digest
    /// The manifest's or index's own media type.
    let manifestMediaType: String
    let size: Int64
}

/// `bulla key generate|public|id|import-cosign -o json`: a key as a verifier names it.
struct KeyReport: Encodable {
    let mediaType = "application/vnd.bulla.key.v1+json"
    let keyID: String
    let algorithm: KeyAlgorithm
    /// The public key, PEM (SubjectPublicKeyInfo).
    let publicKey: String
    /// The files written, for the commands that write them.
    var privateKeyFile: String?
    var publicKeyFile: String?
    /// For a key made in a PKCS #11 token, the URI it is found by (never with a PIN).
    var token: String?

    init(_ key: VerifyingKey, privateKeyFile: String? = nil, publicKeyFile: String? = nil) {
        keyID = key.keyID
        algorithm = key.algorithm
        publicKey = key.pemRepresentation
        self.privateKeyFile = privateKeyFile
        self.publicKeyFile = publicKeyFile
    }
}

/// `bulla copy -o json`.
struct CopyReport: Encodable {
    let mediaType = "application/vnd.bulla.copy.v1+json"
    let source: String
    let destination: String
    let digest: Digest
    let manifests: Int
    let blobsCopied: Int
    let blobsPresent: Int
    let bytesCopied: Int64
    let companions: [String]
}

/// `bulla log init -o json`.
struct LogReport: Encodable {
    let mediaType = "application/vnd.bulla.log.v1+json"
    let directory: String
    let origin: String
    /// The verifier key line (C2SP signed-note) witnesses and Go's `note` take.
    let verifierKey: String
    let keyID: String
}

/// `bulla log append -o json`.
struct AppendReport: Encodable {
    let mediaType = "application/vnd.bulla.log-append.v1+json"
    struct Entry: Encodable {
        let index: UInt64
        let source: String
    }
    let directory: String
    let entries: [Entry]
}

/// `bulla log checkpoint -o json`.
struct CheckpointReport: Encodable {
    let mediaType = "application/vnd.bulla.checkpoint.v1+json"
    let origin: String
    let size: UInt64
    /// The root hash, lower-case hex.
    let root: String
    /// The signed note itself, as `log checkpoint` prints it in text.
    let note: String
}

/// `bulla log verify -o json`.
struct LogAuditReport: Encodable {
    let mediaType = "application/vnd.bulla.log-audit.v1+json"
    let directory: String
    let size: UInt64
    let root: String
    let tilesChecked: Int
    /// The earlier checkpoint the log was shown consistent with, if one was given.
    let consistentWith: String?
    /// Entries journaled by `bulla serve` and not yet folded into the tree.
    let journaled: UInt64
}

/// `bulla log prove -o json`.
struct ProofReport: Encodable {
    let mediaType = "application/vnd.bulla.inclusion-proof.v1+json"
    let index: UInt64, size: UInt64
    let leafHash: String, root: String
    let hashes: [String]
}

/// `bulla log consistency -o json`.
struct ConsistencyReport: Encodable {
    let mediaType = "application/vnd.bulla.consistency-proof.v1+json"
    let from: UInt64, to: UInt64
    let oldRoot: String, newRoot: String
    let hashes: [String]
}
