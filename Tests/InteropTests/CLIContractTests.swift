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

    /// `bulla completion SHELL` prints the script the long-standing flag does.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsByCommandAndByFlagAgree(_ shell: String) throws {
        let byCommand = try Command.run([Peers.bulla, "completion", shell])
        let byFlag = try Command.run([Peers.bulla, "--generate-completion-script", shell])
        #expect(byCommand.status == 0 && byFlag.status == 0, "\(byCommand.stderr)\(byFlag.stderr)")
        #expect(!byCommand.stdout.isEmpty && byCommand.stdout == byFlag.stdout)
    }
}
