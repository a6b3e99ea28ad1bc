#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Output helpers: results to stdout, diagnostics to stderr, progress only on a TTY.
enum Terminal {
    static func error(_ message: String) {
        writeError("bulla: \(message)\n")
    }

    /// A note for people on stderr; `--quiet` silences it.
    static func note(_ message: String) {
        guard !Output.quiet else { return }
        writeError("\(message)\n")
    }

    /// A warning (a deprecated spelling, a risky choice); printed even under `--quiet`.
    static func warn(_ message: String) {
        writeError("bulla: warning: \(message)\n")
    }

    static func exit(_ code: Int32) -> Never {
        // exit(3) flushes stdout's buffer.
        Glibc.exit(code)
    }

    /// Unbuffered write to stderr (fd 2), safe from any thread.
    static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Whether a progress bar may be drawn: not `--quiet`, stderr is a terminal, and one that
    /// can redraw a line (`TERM` set and not `dumb`, the convention editors' shells and CI
    /// consoles follow), and `NO_COLOR` does not ask for plain output.
    static var drawsProgress: Bool {
        guard !Output.quiet, stderrIsTerminal, let term = getenv("TERM") else { return false }
        if let plain = getenv("NO_COLOR"), plain.pointee != 0 { return false }
        let name = String(cString: term)
        return !name.isEmpty && name != "dumb"
    }

    /// "1.5 GiB" style sizes for people.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return unit == 0 ? "\(count) B" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second; silent off a TTY and
/// on a terminal that cannot redraw a line.
final class ProgressBar: Sendable {
    private let label: String
    private let state = Mutex<(last: Double, start: Double)>((0, ProgressBar.now()))
    private let enabled: Bool

    init(_ label: String, enabled: Bool = Terminal.drawsProgress) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ done: Int64, _ total: Int64) {
        guard enabled, total > 0 else { return }
        let now = Self.now()
        let start: Double? = state.withLock { state in
            guard now - state.last >= 0.1 || done >= total else { return nil }
            state.last = now
            return state.start
        }
        guard let start else { return }
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let rate = Double(done) / max(now - start, 0.001)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        Terminal.writeError("\r\(label) [\(bar)] \(Int(fraction * 100))% \(Terminal.bytes(done))/\(Terminal.bytes(total)) \(Terminal.bytes(Int64(rate)))/s ")
    }

    func finish() {
        guard enabled else { return }
        Terminal.writeError("\r\u{1B}[K")
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
