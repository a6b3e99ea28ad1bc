import ArgumentParser
import Bulla

/// The unit a duration option read bare numbers in before durations took units.
protocol BareNumberUnit {
    /// Milliseconds in one unit.
    static var milliseconds: Int64 { get }
    /// The unit as written after a number.
    static var symbol: String { get }
}

/// Options that counted milliseconds (`--deadline`, `--fold-interval`, `--reload-interval`).
enum BareMilliseconds: BareNumberUnit {
    static let milliseconds: Int64 = 1
    static let symbol = "ms"
}

/// Options that counted seconds (`--timeout`, `--registry-deadline`, the TTLs).
enum BareSeconds: BareNumberUnit {
    static let milliseconds: Int64 = 1000
    static let symbol = "s"
}

/// A duration option's value: `250ms`, `8s`, `5m`, `2h`, `30d`, combinable (`1m30s`). A bare
/// number still means the option's old unit for one release, with a warning on stderr.
struct TimeSpan<Bare: BareNumberUnit>: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let milliseconds: Int64

    init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    init?(argument: String) {
        if let bare = Int64(argument), bare >= 0 {
            let (value, overflow) = bare.multipliedReportingOverflow(by: Bare.milliseconds)
            guard !overflow else { return nil }
            Terminal.warn("\"\(argument)\" has no unit and is read as \(argument)\(Bare.symbol); write the unit (250ms, 8s, 5m, 30d): bare numbers stop being accepted in the next release")
            milliseconds = value
        } else if let value = DurationText.milliseconds(argument) {
            milliseconds = value
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }

    var description: String { DurationText.describe(milliseconds: milliseconds) }
    var defaultValueDescription: String { description }

    /// The span as Swift's `Duration`.
    var duration: Duration { .milliseconds(milliseconds) }
    /// Whole seconds, rounded up so a positive span never becomes 0.
    var seconds: Int64 { (milliseconds + 999) / 1000 }
}

/// A size option's value: bytes, or with a unit (`512KiB`, `256MiB`, `1GiB`, `2TiB`; `kB`, `MB`,
/// `GB`, `TB` are powers of 1000), shown in help as people read sizes.
struct ByteSize: ExpressibleByArgument, CustomStringConvertible, Sendable {
    private static let units: [String: Int64] = [
        "": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
        "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
        "kB": 1000, "KB": 1000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
    ]

    let bytes: Int64

    init(bytes: Int64) {
        self.bytes = bytes
    }

    init?(argument: String) {
        let digits = argument.prefix { $0.isASCII && $0.isNumber }
        guard let number = Int64(digits), let unit = Self.units[String(argument.dropFirst(digits.count))] else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        bytes = value
    }

    var description: String { Terminal.bytes(bytes) }
    /// The size as an argument would write it: the largest binary unit that divides it.
    var defaultValueDescription: String {
        for (unit, size) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)"
    }
}
