import BullaCrypto

/// Names inside an archive, normalised so that one file has one name, and refused when they
/// would reach outside the archive.
enum ArchivePath {
    /// `./a//b/./c` → `a/b/c`. Refuses non-UTF-8, absolute paths and any `..` component.
    static func normalize(_ raw: [UInt8]?, in archive: String) throws -> String {
        guard let raw, !raw.isEmpty else {
            throw BullaError(.malformedInput, "\(archive): an entry has no name")
        }
        guard let text = String(validating: raw, as: UTF8.self), !text.contains("\0") else {
            throw BullaError(.malformedInput, "\(archive): entry name \(Hex.encode(raw.prefix(64))) (hex) is not valid UTF-8")
        }
        guard !text.hasPrefix("/") else {
            throw BullaError(.unsafeArchive, "\(archive): entry \(text) has an absolute path")
        }
        let parts = text.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else {
            throw BullaError(.unsafeArchive, "\(archive): entry \(text) uses '..' to leave the archive (path traversal)")
        }
        return parts.joined(separator: "/")
    }

    /// Where a link named `name` points, as a normalised archive path.
    ///
    /// A symlink resolves relative to its own directory; a hard link names an archive path.
    /// Either is refused if it is absolute or climbs above the archive root.
    static func resolveLink(_ raw: [UInt8]?, from name: String, hard: Bool, in archive: String) throws -> String {
        let kind = hard ? "hard link" : "symlink"
        guard let raw, let target = String(validating: raw, as: UTF8.self), !target.isEmpty else {
            throw BullaError(.malformedInput, "\(archive): \(kind) \(name) has an empty or non-UTF-8 target")
        }
        guard !target.hasPrefix("/") else {
            throw BullaError(.unsafeArchive, "\(archive): \(kind) \(name) → \(target) points outside the archive (absolute target)")
        }
        var parts: [Substring] = hard ? [] : Array(name.split(separator: "/").dropLast())
        for part in target.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else {
                    throw BullaError(.unsafeArchive, "\(archive): \(kind) \(name) → \(target) points outside the archive")
                }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The digest algorithm a layout names blobs under `blobs/<alg>/`; SHA-256 elsewhere.
    static func algorithm(for name: String) -> DigestAlgorithm {
        let parts = name.split(separator: "/")
        if parts.count == 3, parts[0] == "blobs", let algorithm = DigestAlgorithm(rawValue: String(parts[1])) {
            return algorithm
        }
        return .sha256
    }
}
