import Bulla

// How typed results read as text: the CLI renders them; the library never formats for people.

extension SigningReport {
    /// The report as lines for people: what was signed, where it went, where it was logged.
    var lines: String {
        let what = predicateType == nil || predicateType == InTotoStatement.cosignSignPredicate ? "signed" : "attested \(predicateType!) for"
        return items.map { item in
            var line = "\(what) \(item.subject) (\(format)) with \(algorithm) key \(keyID.prefix(16))…; stored in \(location)"
            if let log = item.log { line += "; log entry \(log.index) in a checkpoint of \(log.treeSize)" }
            return line
        }.joined(separator: "\n")
    }
}

extension Attachment {
    /// One line for `tree` and `inspect`: kind, format, digest, size, type, where, the claimed key or identity.
    var line: String {
        var parts = [kind.rawValue, format, digest.description, Terminal.bytes(size)]
        if let type = predicateType ?? (format == "artifact" ? artifactType : nil) { parts.append(type) }
        parts.append("in \(foundIn)")
        if let claimedIdentity {
            parts.append("certificate for \(claimedIdentity) (claimed, not verified)")
        } else if let claimedKeyID {
            parts.append("key \(claimedKeyID.prefix(16))… (claimed, not verified)")
        } else if let claimedKeyHint {
            parts.append("key hint \(claimedKeyHint) (claimed, not verified)")
        }
        // Types, places and names come from the registry and certificates: one printable line.
        return parts.map(\.printable).joined(separator: "  ")
    }
}

extension AttachmentTree {
    /// The tree for people: the image, each attachment, what could not be read, where Bulla looked.
    var lines: String {
        var lines = ["\(reference) \(digest)"]
        lines += attachments.enumerated().map { n, item in (n == attachments.count - 1 ? "└─ " : "├─ ") + item.line }
        lines += unreadable.map { "unreadable: \($0.origin): \($0.reason)".printable }
        if attachments.isEmpty { lines.append("nothing attached; looked in " + searched.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
