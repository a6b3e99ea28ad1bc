/// Old spellings that still work for one release (spec/cli.md, "One name per concept"): each
/// use prints a warning naming the new spelling.
enum Deprecation {
    /// Warns that `old` is now `new` in `command`, when `old` was given.
    static func renamed(_ old: String, to new: String, in command: String, used: Bool) {
        guard used else { return }
        Terminal.warn("`\(command) \(old)` is now \(new); \(old) stops working in the next release")
    }
}
