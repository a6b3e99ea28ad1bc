/// Durations as policies write them: `30d`, `12h`, `1w`, `90m`, `3600s`, or combined (`1d12h`),
/// in whole seconds. Named apart from Swift's own `Duration`, which it would otherwise hide from
/// every user of the module.
public enum PolicyDuration {
    /// Seconds, or nil for text that is not a duration of whole seconds or whose value overflows.
    public static func parse(_ text: String) -> Int? {
        guard let milliseconds = DurationText.milliseconds(text), milliseconds % 1000 == 0 else { return nil }
        return Int(exactly: milliseconds / 1000)
    }

    static func describe(_ seconds: Int) -> String {
        DurationText.describe(milliseconds: Int64(seconds) * 1000)
    }
}
