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
        let sign = [Peers.bulla, "sign-blob", "\(dir)/blob", "--key", "\(dir)/k.key", "--output-bundle", "\(dir)/b.json"]

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

    /// Every command, walked from `--help`: EXAMPLES, its own options first, `-o json` results
    /// that match the JSON Schema of the media type they name (spec/schemas/, checked with PyPI
    /// jsonschema), and failures that are one JSON error object under `-o json`.
    @Test func everyCommandKeepsTheContract() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = AttestationPolicyTests.fixtures.deletingLastPathComponent().deletingLastPathComponent()
        let script = AttestationPolicyTests.fixtures.appendingPathComponent("cli_contract.py").path
        let result = try Command.run(["python3", script, Peers.bulla, "\(dir)/work", root.appendingPathComponent("spec/schemas").path], timeout: 300)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0 problem(s)"), "\(result.stderr)")
    }

    /// An unknown option is reported before anything it may have caused (a required option
    /// that seems missing), with the nearest real option.
    @Test func anUnknownOptionIsReportedFirstWithTheNearestOption() throws {
        let result = try Command.run([Peers.bulla, "verify", "oci:x", "--keys", "release.pub"])
        #expect(result.status == 2 && result.stderr.contains("unknown option '--keys': did you mean '--key'?"), "\(result.stderr)")
        #expect(!result.stderr.contains("give at least one --key"), "\(result.stderr)")
    }

    /// Old spellings keep working for a release, each with a warning naming the new one.
    @Test func oldSpellingsWorkWithAWarning() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["BULLA_PASSWORD": "pass"]
        _ = try Command.succeed([Peers.bulla, "key", "generate", "--output-prefix", "\(dir)/k"], environment: environment)
        try Data("blob".utf8).write(to: URL(fileURLWithPath: "\(dir)/blob"))
        let signed = try Command.run([Peers.bulla, "sign-blob", "\(dir)/blob", "--key", "\(dir)/k.key", "--bundle", "\(dir)/b.json"], environment: environment)
        #expect(signed.status == 0 && signed.stderr.contains("`bulla sign-blob --bundle` is now --output-bundle"), "\(signed.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/b.json"))
        let made = try Command.run([Peers.bulla, "log", "init", "\(dir)/log", "--origin", "test/log", "--key", "\(dir)/k.key"], environment: environment)
        #expect(made.status == 0 && made.stderr.contains("`bulla log init --key` is now --log-signing-key"), "\(made.stderr)")
        let bare = try Command.run([Peers.bulla, "digest", "\(dir)/nowhere:1", "--timeout", "3"])
        #expect(bare.stderr.contains("\"3\" has no unit and is read as 3s"), "\(bare.stderr)")
        let units = try Command.run([Peers.bulla, "digest", "oci:\(dir)/nowhere", "--timeout", "1m30s", "--limit-bytes", "512MiB"])
        #expect(units.status == 3 && !units.stderr.contains("warning"), "\(units.stderr)")
    }
}
