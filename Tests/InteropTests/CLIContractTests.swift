import Foundation
import Testing

/// What the command line promises its users across commands.
@Suite struct CLIContractTests {
    /// A mistyped command is named, with the nearest real one, at the level it was mistyped.
    @Test(arguments: [
        (["verfy", "oci:x"], "unknown command 'verfy': did you mean 'verify'?"),
        (["log", "verfy", "dir"], "unknown command 'verfy': did you mean 'verify'?"),
        (["sing", "oci:x"], "unknown command 'sing': did you mean 'sign'?"),
    ])
    func aMistypedCommandGetsTheNearestName(_ arguments: [String], _ hint: String) throws {
        let result = try Command.run([Peers.bulla] + arguments)
        #expect(result.status == 2 && result.stderr.contains(hint), "\(result.stderr)")
    }

    /// Nothing is suggested for a word nowhere near a command.
    @Test func aWordFarFromEveryCommandGetsNoGuess() throws {
        let result = try Command.run([Peers.bulla, "frobnicate"])
        #expect(result.status == 2 && !result.stderr.contains("did you mean"), "\(result.stderr)")
    }

    /// A wrong passphrase names the key file and where the passphrase came from.
    @Test func aWrongPassphraseNamesTheKeyAndThePassphrasesSource() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try Command.run([Peers.bulla, "key", "generate", "--output-prefix", "\(dir)/k"], environment: ["BULLA_PASSWORD": "right"])
        try #require(made.status == 0, "\(made.stderr)")
        try Data("blob".utf8).write(to: URL(fileURLWithPath: "\(dir)/blob"))
        try Data("wrong\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/wrong.txt"))
        let sign = [Peers.bulla, "sign-blob", "\(dir)/blob", "--key", "\(dir)/k.key", "--bundle", "\(dir)/b.json"]

        let fromEnvironment = try Command.run(sign, environment: ["BULLA_PASSWORD": "wrong"])
        #expect(fromEnvironment.status == 3 && fromEnvironment.stderr.contains("\(dir)/k.key: cannot decrypt the private key: wrong passphrase")
                && fromEnvironment.stderr.contains("(the passphrase from BULLA_PASSWORD)"), "\(fromEnvironment.stderr)")
        #expect(!fromEnvironment.stderr.contains("wrong (") && !fromEnvironment.stderr.contains("right"), "no passphrase is ever printed")

        let fromFile = try Command.run(sign + ["--passphrase-file", "\(dir)/wrong.txt"])
        #expect(fromFile.status == 3 && fromFile.stderr.contains("(the passphrase from --passphrase-file \(dir)/wrong.txt)"), "\(fromFile.stderr)")
    }

    /// `bulla completion SHELL` prints the script the long-standing flag does.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsByCommandAndByFlagAgree(_ shell: String) throws {
        let byCommand = try Command.run([Peers.bulla, "completion", shell])
        let byFlag = try Command.run([Peers.bulla, "--generate-completion-script", shell])
        #expect(byCommand.status == 0 && byFlag.status == 0, "\(byCommand.stderr)\(byFlag.stderr)")
        #expect(!byCommand.stdout.isEmpty && byCommand.stdout == byFlag.stdout)
    }
}
