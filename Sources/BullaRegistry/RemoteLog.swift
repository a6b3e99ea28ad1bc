import AsyncHTTPClient
import Bulla
import BullaCrypto
import Foundation
import NIOCore

/// A log served by `bulla log serve` (or any server answering `POST /add` the same way): each
/// signature's entry is posted, and the answer, once the entry is durable, carries its index,
/// an inclusion proof and the signed checkpoint.
public struct RemoteLog: SignatureLog {
    /// The log server's base URL; entries are posted to its `add` path.
    public let base: URL
    /// The longest wait for the log's answer, which comes only once the entry is durable.
    public var timeout: TimeAmount
    /// PEM certificates trusted besides the system's (a private CA), as for registries.
    public var caFiles: [(path: String, source: String)] = []

    /// `https://…`, or `http://…` only for a loopback host: the receipt is checked against the
    /// entry, but a checkpoint's signature is judged only at verification, so a log reached in
    /// the clear could still be an impostor's until then.
    public init(url text: String, timeout: TimeAmount = .seconds(30)) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw BullaError(.invalidArgument, "log URL \"\(text)\" is not http(s)://HOST[:PORT][/PATH]")
        }
        guard scheme == "https" || (scheme == "http" && RegistryOptions.isLoopback(host)) else {
            throw BullaError(.invalidArgument, "log URL \(text): plain http only to a loopback host; use https")
        }
        self.base = url
        self.timeout = timeout
    }

    /// Posts `entry` to `/add` and returns the server's receipt, for `record` to check against the entry.
    public func submit(_ entry: [UInt8]) throws -> LogReceipt {
        let target = base.appendingPathComponent("add").absoluteString
        var request = try HTTPClient.Request(url: target, method: .POST, body: .bytes(entry))
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Accept", value: LogReceipt.mediaType)
        let response: HTTPClient.Response
        let client = try caFiles.isEmpty ? HTTPClient.shared : HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: RegistryTransport.tls(trusting: caFiles)))
        defer { if !caFiles.isEmpty { try? client.syncShutdown() } }
        do {
            response = try client.execute(request: request, deadline: .now() + timeout).wait()
        } catch {
            throw BullaError(.ioFailure, "log \(base.absoluteString) did not answer", underlying: "\(error)")
        }
        let body = response.body.map { Array(buffer: $0) } ?? []
        guard response.status == .ok else {
            let said = String(decoding: body.prefix(200), as: UTF8.self)
            throw BullaError(.ioFailure, "log \(base.absoluteString) refused the entry: HTTP \(response.status.code)\(said.isEmpty ? "" : ": \(said)")")
        }
        return try LogReceipt(json: body)
    }
}
