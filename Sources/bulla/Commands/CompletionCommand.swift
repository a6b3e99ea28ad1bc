import ArgumentParser

/// `bulla completion bash|zsh|fish`: the shell completion script, as `kubectl completion` and
/// `cosign completion` print theirs (the `--generate-completion-script` flag works too).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            EXAMPLES:
              bulla completion bash > /etc/bash_completion.d/bulla
              bulla completion zsh > "${fpath[1]}/_bulla"
              bulla completion fish > ~/.config/fish/completions/bulla.fish
            """)

    @Argument(help: "bash, zsh or fish.", completion: .list(["bash", "zsh", "fish"]))
    var shell: String

    func validate() throws {
        guard CompletionShell(rawValue: shell) != nil else { throw ValidationError("no completion script for \"\(shell)\": bash, zsh or fish") }
    }

    func run() throws {
        print(BullaCommand.completionScript(for: CompletionShell(rawValue: shell)!))
    }
}
