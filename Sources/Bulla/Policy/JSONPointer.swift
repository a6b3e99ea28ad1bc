import BullaCrypto

/// An RFC 6901 JSON Pointer (`/creationInfo/creators/0`), resolved over a document's bytes.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The reference tokens with `~0` and `~1` unescaped, each matched against a member name or index.
    public let tokens: [String]
    /// The pointer as written in the policy, for messages.
    public let description: String

    /// Parses an RFC 6901 pointer: empty (the whole document) or `/`-separated, escapes checked.
    public init(parsing text: String) throws {
        guard text.isEmpty || text.hasPrefix("/") else {
            throw BullaError(.malformedInput, "JSON Pointer \"\(text.prefix(80))\" must be empty or start with /")
        }
        var tokens: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var token = ""
            var characters = raw[...]
            while let c = characters.popFirst() {
                guard c == "~" else {
                    token.append(c)
                    continue
                }
                switch characters.popFirst() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw BullaError(.malformedInput, "JSON Pointer \"\(text.prefix(80))\": ~ must be followed by 0 or 1")
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
        description = text
    }

    private struct Found: Error { let range: Range<Int> }

    /// The value the pointer names, or nil when the document has no such value. Reading stops
    /// at the value: a field near the top of a large SBOM costs little.
    public func resolve(in document: RawJSON) throws -> RawJSON? {
        do {
            try document.read(what: "predicate") { reader in
                try descend(&reader, depth: 0)
                // Reached only when the pointer names nothing.
                throw Found(range: 0..<0)
            }
        } catch let found as Found {
            guard !found.range.isEmpty else { return nil }
            let base = document.bytes.startIndex
            return RawJSON(validated: document.bytes[(base + found.range.lowerBound)..<(base + found.range.upperBound)])
        }
        return nil
    }

    private func descend(_ reader: inout JSONReader, depth: Int) throws {
        guard depth < tokens.count else { throw Found(range: try reader.raw()) }
        let token = tokens[depth]
        switch try reader.kind() {
        case .object:
            try reader.object { reader, name in
                if name.string == token { try descend(&reader, depth: depth + 1) } else { try reader.skip() }
            }
        case .array:
            // RFC 6901: decimal without leading zeros.
            guard let wanted = Int(token), String(wanted) == token, wanted >= 0 else { try reader.skip(); return }
            var index = 0
            try reader.array { reader in
                if index == wanted { try descend(&reader, depth: depth + 1) } else { try reader.skip() }
                index += 1
            }
        default:
            try reader.skip()
        }
    }
}
