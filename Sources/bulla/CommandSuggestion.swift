import ArgumentParser

/// "Did you mean" for a mistyped command or option: the nearest command name at the level where
/// the typing went wrong (`bulla verfy`, `bulla log verfy`), or the nearest option of the
/// command (`--keys`), when one is near enough to be meant.
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

    /// The first option in `arguments` that the command they name does not take, with the
    /// nearest option it does take when one is near enough: reported before any other
    /// complaint, since a mistyped option is usually why a required one seems missing.
    static func unknownOption(in arguments: [String], root: any ParsableCommand.Type = BullaCommand.self) -> String? {
        let (command, path) = resolve(arguments, root: root)
        let help = root.helpMessage(for: command, includeHidden: true, columns: 10_000)
        let known = Set(help.split(whereSeparator: { " ,[]<>()=\n".contains($0) }).filter { $0.hasPrefix("-") }.map(String.init))
        for word in arguments.prefix(while: { $0 != "--" }) where word.hasPrefix("-") {
            let name: String
            if word.hasPrefix("--") {
                name = String(word.prefix { $0 != "=" })
            } else if let letter = word.dropFirst().first, letter.isLetter {
                name = String(word.prefix(2))
            } else {
                continue  // "-" (standard input) or a negative number
            }
            guard !known.contains(name) else { continue }
            let see = "\n  See '\(path) --help' for the options it takes."
            let scored = known.filter { $0.hasPrefix("--") }.map { (name: $0, distance: distance(name, $0)) }
            if name.hasPrefix("--"), let nearest = scored.min(by: { ($0.distance, $0.name) < ($1.distance, $1.name) }),
               nearest.distance <= max(2, nearest.name.count / 3) {
                return "unknown option '\(name)': did you mean '\(nearest.name)'?" + see
            }
            return "unknown option '\(name)' for '\(path)'" + see
        }
        return nil
    }

    /// The command `arguments` name and its path as typed (`bulla log verify`).
    private static func resolve(_ arguments: [String], root: any ParsableCommand.Type) -> (any ParsableCommand.Type, String) {
        var command = root
        var path = name(of: root)
        for word in arguments.prefix(while: { $0 != "--" }) where !word.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { name(of: $0) == word || $0.configuration.aliases.contains(word) }) else { continue }
            command = next
            path += " " + name(of: next)
        }
        return (command, path)
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
