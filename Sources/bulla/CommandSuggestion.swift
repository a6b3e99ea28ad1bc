import ArgumentParser

/// "Did you mean" for a mistyped command: the nearest command name at the level where the
/// typing went wrong (`bulla verfy`, `bulla log verfy`), when one is near enough to be meant.
enum CommandSuggestion {
    /// The hint for `arguments` (without the program name), or nil when every command word is
    /// known or nothing is close.
    static func hint(for arguments: [String], root: any ParsableCommand.Type = BullaCommand.self) -> String? {
        var command = root
        for word in arguments where !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { name(of: $0) == word || $0.configuration.aliases.contains(word) }) {
                command = next
                continue
            }
            let scored = subcommands.map { (name: name(of: $0), distance: distance(word, name(of: $0))) }
            guard let nearest = scored.min(by: { $0.distance < $1.distance }), nearest.distance <= max(1, nearest.name.count / 3) else {
                return nil
            }
            return "unknown command '\(word)': did you mean '\(nearest.name)'?"
        }
        return nil
    }

    private static func name(of command: any ParsableCommand.Type) -> String {
        command.configuration.commandName ?? ""
    }

    /// Edit distance counting an insertion, a deletion, a substitution or a swap of two
    /// neighbours as 1 (optimal string alignment), so "sing" is one edit from "sign".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
