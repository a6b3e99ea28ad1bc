/// Durations as people write them on command lines and in policies: `250ms`, `8s`, `5m`,
/// `12h`, `30d`, `1w`, or combined (`1m30s`).
public enum DurationText {
    private static let units: [String: Int64] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]

    /// Milliseconds, or nil for text that is not a duration (a bare number has no unit and is
    /// not one) or whose value overflows.
    public static func milliseconds(_ text: String) -> Int64? {
        var total: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let n = Int64(digits), let size = units[String(unit)] else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: size)
            let (sum, carried) = total.addingReportingOverflow(product)
            guard !overflow, !carried else { return nil }
            total = sum
        }
        return total
    }

    /// `milliseconds` written back with the largest units that divide it (`1d12h`, `250ms`).
    public static func describe(milliseconds: Int64) -> String {
        guard milliseconds > 0 else { return "0s" }
        var rest = milliseconds
        var text = ""
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}
