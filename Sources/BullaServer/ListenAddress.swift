import Bulla
import BullaCrypto

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface), as `--listen` takes it.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or IP to bind; `0.0.0.0` when `--listen` gave only `:PORT`.
    public var host: String
    /// The TCP port; 0 lets the system choose one (tests read the bound address back).
    public var port: Int

    /// An address from its parts, as already validated.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `--listen`, refusing a port outside 0–65535 and an IPv6 host without brackets.
    public init(parsing text: String) throws {
        func fail() -> BullaError { BullaError(.invalidArgument, "listen address \"\(text)\" is not HOST:PORT, [IPv6]:PORT or :PORT") }
        guard let colon = text.lastIndex(of: ":") else { throw fail() }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { throw fail() }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { throw fail() }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw fail()
        }
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    /// `HOST:PORT`, bracketing an IPv6 host, as the server prints it when it starts serving.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
