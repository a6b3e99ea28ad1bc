import AsyncHTTPClient
import Bulla
import BullaCrypto
import NIOCore
import NIOHTTP1

/// Where a streamed 200 body goes, and what it must be.
struct ReceiveStream: @unchecked Sendable {
    let expected: Descriptor
    /// Called on the connection's thread while the requesting thread waits.
    let sink: (UnsafeRawBufferPointer) throws -> Void
}

/// Collects a response: a bounded body, or, for a 200 with a stream, hands the body on while
/// hashing it and refusing bytes past the expected size.
final class Receiver: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = RegistryTransport.Response

    private let limit: Int
    private var stream: ReceiveStream?
    private let what: String
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var hasher: StreamingDigest?
    private(set) var received: Int64 = 0
    private(set) var digest: Digest?
    /// Whether any byte went to the sink (after which a retry would repeat them).
    var streamed: Bool { received > 0 }

    init(limit: Int, stream: ReceiveStream?, what: String) {
        self.limit = limit
        self.stream = stream
        self.what = what
    }

    private var streaming: Bool { stream != nil && head?.status == .ok }

    /// Forgets the stream's sink; called when the request has finished or failed, after which
    /// no more callbacks come.
    func detach() { stream = nil }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        self.head = head
        if let stream, head.status == .ok {
            hasher = StreamingDigest(stream.expected.digest.algorithm)
        } else if head.status == .ok, let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            return task.eventLoop.makeFailedFuture(BullaError(.limitExceeded, "\(what) is \(length) bytes, more than the limit of \(limit)"))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        do {
            if streaming, let stream {
                received += Int64(buffer.readableBytes)
                guard received <= stream.expected.size else {
                    throw BullaError(.sizeMismatch, "\(what): blob \(stream.expected.digest) is longer than its \(stream.expected.size) bytes")
                }
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher!.update(bytes)
                    try stream.sink(bytes)
                }
            } else {
                guard body.count + buffer.readableBytes <= (head?.status == .ok ? limit : 1 << 16) else {
                    throw BullaError(.limitExceeded, "\(what) is more than the limit of \(limit) bytes")
                }
                body += buffer.readableBytesView
            }
            return task.eventLoop.makeSucceededVoidFuture()
        } catch {
            return task.eventLoop.makeFailedFuture(error)
        }
    }

    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) {}

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        digest = hasher?.finalize()
        return Response(status: head?.status ?? .internalServerError, headers: head?.headers ?? [:], body: body, digest: digest, received: received)
    }
}
