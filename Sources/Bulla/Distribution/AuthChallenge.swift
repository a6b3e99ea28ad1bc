/// A `WWW-Authenticate` challenge (RFC 9110 §11.6.1) as registries send them:
/// `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
public struct AuthChallenge: Equatable, Sendable {
    /// Lower-cased: `bearer`, `basic`.
    public let scheme: String
    /// Parameter names lower-cased, values unquoted.
    public let parameters: [String: String]

    /// Nil for a header that names no scheme.
    public init?(header: String) {
        var rest = Substring(header).drop { $0 == " " }
        let scheme = rest.prefix { $0 != " " && $0 != "," }
        guard !scheme.isEmpty else { return nil }
        rest = rest.dropFirst(scheme.count)
        var parameters: [String: String] = [:]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = rest[..<equals].trimmingSpaces.lowercased()
            rest = rest[rest.index(after: equals)...].drop { $0 == " " }
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
            } else {
                value = String(rest.prefix { $0 != "," })
                rest = rest.dropFirst(value.count)
            }
            guard !name.isEmpty else { return nil }
            parameters[name] = value.trimmingSpaces
        }
        self.scheme = scheme.lowercased()
        self.parameters = parameters
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces (header values).
    package var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
