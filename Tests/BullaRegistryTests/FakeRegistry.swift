import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// A registry served in-process by Hummingbird whose every answer a test writes: the requests
/// it saw are kept, so a test asserts what Bulla sent (headers, order, count) as well as what
/// it made of the answers.
final class FakeRegistry: Sendable {
    /// One request as the fake saw it.
    struct Seen: Sendable {
        var method: String
        var path: String
        var query: String
        var authorization: String?
    }

    /// What the fake answers.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8] = []

        static func json(_ text: String, type: String = "application/json") -> Answer {
            Answer(status: 200, headers: [("Content-Type", type)], body: Array(text.utf8))
        }
    }

    private let seen = Mutex<[Seen]>([])
    private let port = Mutex(0)
    private let answer: @Sendable (Seen, Int) -> Answer

    /// `answer` is given each request and the port the fake listens on.
    init(answer: @escaping @Sendable (Seen, Int) -> Answer) {
        self.answer = answer
    }

    var requests: [Seen] { seen.withLock { $0 } }

    /// Requests whose path starts with `prefix`.
    func requests(to prefix: String) -> [Seen] { requests.filter { $0.path.hasPrefix(prefix) } }

    /// Serves on `host` while `body` runs with the port; `body` runs on a thread of its own,
    /// because Bulla's registry client blocks.
    func serve<T: Sendable>(on host: String = "127.0.0.1", _ body: @escaping @Sendable (Int) throws -> T) async throws -> T {
        let router = Router()
        let handler = { @Sendable (request: Request, context: BasicRequestContext) async throws -> Response in
            let port = self.port.withLock { $0 }
            let seen = Seen(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
                authorization: request.headers[.authorization])
            self.seen.withLock { $0.append(seen) }
            let answer = self.answer(seen, port)
            var headers = HTTPFields()
            for (name, value) in answer.headers { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        for method in [HTTPRequest.Method.get, .head, .post, .put, .patch] {
            router.on("**", method: method, use: handler)
        }
        // A port of its own on an address of its own: tests run in parallel, and `localhost`
        // may name ::1 where another test's server holds the same port number.
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { channel in listening.yield(channel.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            defer { group.cancelAll() }
            var next = ports.makeAsyncIterator()
            let port = try #require(await next.next())
            self.port.withLock { $0 = port }
            return try await Self.offThread { try body(port) }
        }
    }

    /// Runs blocking work on a dispatch thread, away from Swift's cooperative pool.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
