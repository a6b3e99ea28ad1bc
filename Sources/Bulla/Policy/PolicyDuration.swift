/// Durations as policies write them: `30d`, `12h`, `1w`, `90m`, `3600s`, or combined (`1d12h`).
/// Named apart from Swift's own `Duration`, which it would otherwise hide from every user of
/// the module.
public enum PolicyDuration {
    /// Seconds, or nil for text that is not a duration or whose value overflows.
    public static func parse(_ text: String) -> Int? {
        var total = 0
        var number = ""
        for c in text {
            if c.isASCII, c.isNumber {
                number.append(c)
                continue
            }
            guard let n = Int(number), let unit = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800][String(c)] else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: unit)
            let (sum, carried) = total.addingReportingOverflow(product)
            guard !overflow, !carried else { return nil }
            total = sum
            number = ""
        }
        return number.isEmpty && !text.isEmpty ? total : nil
    }

    static func describe(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}
