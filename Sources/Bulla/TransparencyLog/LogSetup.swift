import BullaCrypto

/// Making a log ready to write: `bulla log init`, and `bulla serve` on the first start of a
/// replica whose decision-log volume is still empty, do it the same way.
public enum LogSetup {
    /// Makes an empty log at `path` under `origin`, signed by `key`: the `state`, `log.pub`
    /// (the key's public half, for `bulla log verify --log-key`) and a first checkpoint.
    @discardableResult
    public static func create(at path: String, origin: String, key: SigningKey) throws -> TransparencyLog {
        _ = try NoteVerifier(name: origin, key: key.publicKey)  // refuses an origin a note cannot carry
        let log = try TransparencyLog.create(at: path, origin: origin)
        try DurableFile.write(Array(key.publicKey.pemRepresentation.utf8), to: "\(path)/log.pub", mode: 0o644, overwrite: true)
        try log.signCheckpoint(with: key)
        return log
    }

    /// The log at `path`, made first when there is none (an empty or absent directory; other
    /// files, such as a volume's `lost+found`, are left alone). An existing log must have
    /// `origin` and the public key of `key` in its `log.pub`: a volume mounted at the wrong
    /// replica, or a key changed under a log, is refused rather than written to.
    /// Returns whether the log was made now.
    public static func prepare(at path: String, origin: String, key: SigningKey) throws -> Bool {
        guard FileIO.size("\(path)/state") != nil else {
            try FileIO.makeDirectories(path)
            try create(at: path, origin: origin, key: key)
            return true
        }
        let existing = try TransparencyLog(opening: path, forWriting: false)
        guard existing.origin == origin else {
            throw BullaError(.invalidArgument, "\(path) holds the log \"\(existing.origin)\", not \"\(origin)\"")
        }
        let published = try FileIO.readIfPresent("\(path)/log.pub", limit: 1 << 16)
        guard let published, let named = try? VerifyingKey(pemRepresentation: published), named == key.publicKey else {
            throw BullaError(.invalidArgument, "\(path)/log.pub is not the public key of the log's signing key \(key.publicKey.keyID.prefix(16))…: the key does not sign this log")
        }
        return false
    }
}
