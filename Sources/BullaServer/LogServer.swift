import Bulla
import BullaCrypto
import Hummingbird
import Logging
import NIOCore

/// Serves a log directory over HTTP: the C2SP tlog-tiles read paths (`/checkpoint`,
/// `/tile/L/N[.p/W]`, `/tile/entries/N[.p/W]`), so tile clients and witnesses can follow the
/// log, and `POST /add`, which appends its body as one entry and answers, once the entry is
/// durable and covered by a signed checkpoint, with its index and inclusion proof.
///
/// The server holds the log's writer lock while it runs. Only what the last signed checkpoint
/// covers is served.
public struct LogServer: Sendable {
    /// The log directory served; this server holds its writer lock while running.
    public let directory: String
    private let sequencer: LogSequencer
    private let origin: String

    /// Opens the log for writing and signs a checkpoint of what it holds.
    public init(directory: String, key: SigningKey, maxBatch: Int = 4096) throws {
        let log = try TransparencyLog(opening: directory, forWriting: true)
        self.directory = directory
        self.origin = log.origin
        self.sequencer = try LogSequencer(log: log, key: key, maxBatch: maxBatch)
    }

    /// Serves until interrupted (SIGINT or SIGTERM). `onListening` is told the bound address,
    /// which matters when the port asked for is 0.
    public func run(address: ListenAddress, onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        var logger = Logger(label: "bulla.log")
        logger.logLevel = .notice
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "bulla"),
            onServerRunning: { channel in
                let bound = channel.localAddress
                onListening(ListenAddress(host: bound?.ipAddress ?? address.host, port: bound?.port ?? address.port).description)
            },
            logger: logger)
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("checkpoint") { _, _ in try self.file(LogResource.checkpoint) }
        router.get("tile/**") { request, _ in
            guard let resource = LogResource(path: request.uri.path) else {
                throw HTTPError(.notFound, message: "not a tile path")
            }
            return try self.file(resource)
        }
        router.post("add") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: TileLayout.maxEntryBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "an entry is at most \(TileLayout.maxEntryBytes) bytes")
            }
            guard body.readableBytes > 0 else { throw HTTPError(.badRequest, message: "an entry is at least one byte") }
            let receipt = try await self.sequencer.submit(Array(buffer: body))
            return Response(
                status: .ok,
                headers: [.contentType: LogReceipt.mediaType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: receipt.json)))
        }
        return router
    }

    private func file(_ resource: LogResource) throws -> Response {
        // Only what the last signed checkpoint covers, at the width it covers: a file past it
        // may be left by an append that never committed.
        guard resource.isCovered(bySize: sequencer.publishedSize), let bytes = try resource.read(from: directory) else {
            throw HTTPError(.notFound, message: "\(resource.path) is not in the log's signed tree")
        }
        var headers: HTTPFields = [.contentType: resource.contentType]
        // A tile's bytes never change once written; the checkpoint changes with every batch.
        headers[.cacheControl] = resource == .checkpoint ? "no-cache" : "public, max-age=31536000, immutable"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
