import Bulla
import BullaCrypto

/// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface), as `--listen` takes it.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

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

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
