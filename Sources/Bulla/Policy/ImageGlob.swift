/// A pattern over image references and namespaces: `*` is any run of characters but `/`,
/// `**` any run at all, `?` one character but `/`; everything else stands for itself.
///
/// `ghcr.io/acme/*` matches `ghcr.io/acme/app:1.2` and `ghcr.io/acme/app@sha256:…` but not
/// `ghcr.io/acme/team/app`; `ghcr.io/acme/**` matches all three.
public struct ImageGlob: Sendable, Hashable, CustomStringConvertible {
    private enum Token: Hashable, Sendable { case literal(Character), one, segment, any }
    private let tokens: [Token]
    /// The pattern as written in the policy, for messages.
    public let description: String

    /// Compiles `pattern`; every string is a valid pattern, so this cannot fail.
    public init(_ pattern: String) {
        description = pattern
        var tokens: [Token] = []
        var characters = Array(pattern)[...]
        while let c = characters.popFirst() {
            switch c {
            case "*":
                if characters.first == "*" {
                    characters = characters.dropFirst()
                    tokens.append(.any)
                } else {
                    tokens.append(.segment)
                }
            case "?": tokens.append(.one)
            default: tokens.append(.literal(c))
            }
        }
        self.tokens = tokens
    }

    /// Whether the whole of `text` matches (dynamic programming: linear in pattern × text).
    public func matches(_ text: String) -> Bool {
        let input = Array(text)
        // reachable[j]: the pattern prefix read so far can consume exactly input[..<j].
        var reachable = [Bool](repeating: false, count: input.count + 1)
        reachable[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: input.count + 1)
            switch token {
            case .literal(let c):
                for j in 0..<input.count where reachable[j] && input[j] == c { next[j + 1] = true }
            case .one:
                for j in 0..<input.count where reachable[j] && input[j] != "/" { next[j + 1] = true }
            case .segment, .any:
                var open = false
                for j in 0...input.count {
                    if reachable[j] { open = true }
                    next[j] = open
                    if j < input.count, token == .segment, input[j] == "/" { open = false }
                }
            }
            reachable = next
        }
        return reachable[input.count]
    }
}
