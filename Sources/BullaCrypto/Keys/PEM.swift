/// PEM text framing (RFC 7468) for the encodings Bulla writes itself.
public enum PEM {
    /// The DER of the one `label` block in `text` (RFC 7468 strict: base64 lines between the
    /// BEGIN and END lines, no headers). Text around the block is allowed, as in openssl's
    /// output; a second block, a missing END or bad base64 is refused.
    public static func decode(_ text: [UInt8], label: String) throws -> [UInt8] {
        let lines = String(decoding: text, as: UTF8.self).split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.trimmingSuffix(while: { $0 == "\r" || $0 == " " || $0 == "\t" }) }
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        let starts = lines.indices.filter { lines[$0] == begin }
        guard starts.count == 1, let start = starts.first else {
            throw BullaError(.malformedInput, starts.isEmpty ? "no \(begin) block" : "more than one \(begin) block")
        }
        guard let stop = lines[(start + 1)...].firstIndex(of: end) else {
            throw BullaError(.malformedInput, "the \(label) block has no \(end) line")
        }
        let body = lines[(start + 1)..<stop].joined()
        guard !body.isEmpty, let der = Base64.decode(body) else {
            throw BullaError(.malformedInput, "the \(label) block is not base64")
        }
        return der
    }

    /// One `label` block with 64-column base64 lines and a final newline, as openssl writes it.
    public static func encode(_ der: [UInt8], label: String) -> String {
        let body = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Substring {
    func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return String(self[startIndex..<end])
    }
}
