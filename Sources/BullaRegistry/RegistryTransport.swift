import AsyncHTTPClient
import Bulla
import BullaCrypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// HTTP to one registry host, with what every request needs: authentication (basic, or bearer
/// tokens fetched per scope and cached), retries on 429 and 5xx with backoff or `Retry-After`,
/// redirects followed by hand (credentials go only to the registry's own host), and limits on
/// what a response may hold. Callers see a status, headers and a bounded body, or an error
/// that says which request failed and why, with no secret in it.
final class RegistryTransport: Sendable {
    /// `HOST[:PORT]` requests go to.
    let host: String
    /// The name credentials are filed under (`docker.io` for Docker Hub).
    let registry: String
    let base: String
    private let baseHost: String
    private let basePort: Int
    let options: RegistryOptions
    private let http: HTTPClient
    private let state = Mutex(AuthState())

    private struct AuthState {
        var login: RegistryLogin?
        var loginLoaded = false
        /// Set once the registry asked for basic authentication.
        var useBasic = false
        /// Bearer tokens by scope set.
        var tokens: [String: (token: String, expires: NIODeadline)] = [:]
    }

    /// One received response. The body is whole unless a sink consumed it.
    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: [UInt8]
        /// For a streamed body: its digest and length.
        var digest: Digest? = nil
        var received: Int64 = 0
    }

    init(registry: String, apiHost: String, hostname: String, options: RegistryOptions) throws {
        if options.insecure && !RegistryOptions.isLoopback(hostname) {
            throw BullaError(.invalidArgument, "--insecure (plain HTTP) is only for a registry on this machine, not \(registry)")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = options.caFile {
            do {
                tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))]
            } catch {
                throw BullaError(.malformedInput, "--ca-file \(caFile) holds no PEM certificate", underlying: "\(error)")
            }
        }
        let timeout = TimeAmount.seconds(options.timeoutSeconds)
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout, write: timeout))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.host = apiHost
        self.registry = registry
        self.base = "\(options.insecure ? "http" : "https")://\(apiHost)"
        self.options = options
        let url = URL(string: base)
        baseHost = url?.host ?? apiHost
        basePort = url?.port ?? (options.insecure ? 80 : 443)
    }

    deinit { try? http.syncShutdown() }

    /// The scope of a request on `repository`: pull, or pull and push.
    static func scope(_ repository: String, push: Bool = false) -> String {
        "repository:\(repository):\(push ? "pull,push" : "pull")"
    }

    /// Sends one request (again, as needed) and returns the final answer. `what` names it for
    /// errors ("manifest payments/api:1.4"). A body, if any, is made afresh for each attempt.
    /// `stream`, when given, receives a 200 response's body instead of it being kept.
    /// `resendable` false (a chunk of an upload, which the registry may have stored before it
    /// failed) returns a 429 or 5xx answer instead of sending again, and throws `unreachable`
    /// for a dropped connection; the caller decides what to do.
    func send(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = [:], body: (() -> [UInt8])? = nil,
        scopes: [String], what: String, limit: Int = 1 << 16, stream: ReceiveStream? = nil, resendable: Bool = true
    ) throws -> Response {
        var url = target.hasPrefix("http") ? target : base + target
        var method = method
        var body = body
        var retried = 0, redirects = 0
        var authenticated = false
        while true {
            var request = try HTTPClient.Request(url: url, method: method, headers: headers, body: body.map { .bytes($0()) })
            // Credentials go only to the registry itself, never to a host it redirects to.
            if request.host == baseHost && request.port == basePort {
                if let authorization = try authorization(for: scopes) { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            }
            // A HEAD answer's Content-Length is the size of what a GET would send.
            let receiver = Receiver(limit: method == .HEAD ? .max : limit, stream: stream, what: "\(what) from \(registry)")
            // The sink may be a caller's non-escaping closure: drop it once the request is over.
            defer { receiver.detach() }
            let response: Response
            do {
                response = try http.execute(request: request, delegate: receiver).futureResult.wait()
            } catch let error as BullaError {
                throw error
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && resendable && retried < options.retries && !receiver.streamed {
                retried += 1
                try pause(nil, attempt: retried)
                continue
            } catch {
                throw BullaError(.unreachable, "cannot get \(what) from \(registry)", underlying: describe(error))
            }
            switch response.status.code {
            case 401 where !authenticated:
                authenticated = true
                try authenticate(response.headers.first(name: "WWW-Authenticate"), scopes: scopes, what: what)
                continue
            case 401, 403:
                let login = try currentLogin()
                throw BullaError(
                    .accessDenied,
                    "\(registry) refused \(login == nil ? "anonymous access" : "the credentials of \(login!.username)") to \(what) (HTTP \(response.status.code))\(Self.said(response.body))")
            case let code where Self.isTransient(code):
                guard resendable else { return response }
                guard retried < options.retries else {
                    throw BullaError(.ioFailure, "\(registry) answered HTTP \(response.status.code) to \(what), \(retried + 1) times\(Self.said(response.body))")
                }
                retried += 1
                try pause(response.headers.first(name: "Retry-After"), attempt: retried)
                continue
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location"), let next = URL(string: location, relativeTo: URL(string: url))?.absoluteString,
                      redirects < 5 else {
                    throw BullaError(.malformedInput, "\(registry) redirected \(what) without a usable Location, or more than 5 times")
                }
                redirects += 1
                url = next
                if response.status.code == 303 {
                    method = .GET
                    body = nil
                }
                continue
            default:
                return response
            }
        }
    }

    /// Answers worth asking again after a pause: too many requests, and the server errors a
    /// busy or restarting server gives (not 501 or 505, which will not change).
    static func isTransient(_ code: UInt) -> Bool { [429, 500, 502, 503, 504].contains(code) }

    /// Waits before retry `attempt`: the server's `Retry-After` (seconds or an HTTP date), or
    /// the doubling backoff.
    func pause(_ retryAfter: String?, attempt: Int) throws {
        var seconds = options.backoffSeconds * Double(1 << (attempt - 1))
        if let retryAfter {
            if let value = Double(retryAfter.trimmingSpaces) {
                seconds = value
            } else if let date = Self.httpDate.date(from: retryAfter) {
                seconds = date.timeIntervalSinceNow
            }
            guard seconds <= options.maxRetryAfterSeconds else {
                throw BullaError(.ioFailure, "\(registry) asked to retry after \(Int(seconds)) s, more than the \(Int(options.maxRetryAfterSeconds)) s Bulla waits")
            }
        }
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }

    private static let httpDate: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }()

    private func currentLogin() throws -> RegistryLogin? {
        if let cached = state.withLock({ $0.loginLoaded ? Optional($0.login) : nil }) { return cached }
        let login = try options.credentials.login(for: registry)
        state.withLock {
            $0.login = login
            $0.loginLoaded = true
        }
        return login
    }

    /// What to send in `Authorization` for `scopes`: a cached token, basic credentials once the
    /// registry asked for them, or nothing yet.
    private func authorization(for scopes: [String]) throws -> String? {
        let key = scopes.sorted().joined(separator: " ")
        let (token, basic) = state.withLock { state -> (String?, Bool) in
            if let cached = state.tokens[key], cached.expires > .now() { return (cached.token, false) }
            return (nil, state.useBasic)
        }
        if let token { return "Bearer \(token)" }
        if basic, let login = try currentLogin() { return login.basicAuthorization }
        return nil
    }

    /// Answers a 401's challenge: basic credentials, or a bearer token from the realm.
    private func authenticate(_ header: String?, scopes: [String], what: String) throws {
        guard let header, let challenge = AuthChallenge(header: header) else {
            throw BullaError(.accessDenied, "\(registry) refused \(what) (HTTP 401) without a WWW-Authenticate challenge")
        }
        switch challenge.scheme {
        case "basic":
            guard try currentLogin() != nil else {
                throw BullaError(.accessDenied, "\(registry) needs credentials for \(what), and none are configured for it (\(options.credentials.files.joined(separator: ", ")))")
            }
            state.withLock { $0.useBasic = true }
        case "bearer":
            try fetchToken(challenge, scopes: scopes)
        default:
            throw BullaError(.unsupported, "\(registry) asks for \(challenge.scheme) authentication; Bulla speaks basic and bearer")
        }
    }

    /// The token flow of the distribution spec: GET realm?service=…&scope=… (with basic
    /// credentials when there are some), answered by `{"token"|"access_token", "expires_in"}`.
    private func fetchToken(_ challenge: AuthChallenge, scopes: [String]) throws {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
              let scheme = components.scheme?.lowercased(), let realmHost = components.host else {
            throw BullaError(.malformedInput, "\(registry)'s bearer challenge names no usable realm")
        }
        guard scheme == "https" || (scheme == "http" && RegistryOptions.isLoopback(realmHost)) else {
            throw BullaError(.accessDenied, "\(registry)'s token realm \(realm) is plain HTTP to another host; Bulla sends no credentials there")
        }
        var wanted = scopes
        if let asked = challenge.parameters["scope"] {
            wanted += asked.split(separator: " ").map(String.init).filter { !wanted.contains($0) }
        }
        var query = components.queryItems ?? []
        if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query += wanted.map { URLQueryItem(name: "scope", value: $0) }
        components.queryItems = query
        guard let url = components.url?.absoluteString else {
            throw BullaError(.malformedInput, "\(registry)'s token realm \(realm) is not a URL")
        }
        var request = try HTTPClient.Request(url: url, method: .GET)
        let login = try currentLogin()
        if let login { request.headers.add(name: "Authorization", value: login.basicAuthorization) }
        // A token server having a bad moment (429, 5xx, a dropped connection) is asked again,
        // as the registry itself would be.
        var response: Response
        var retried = 0
        while true {
            do {
                response = try http.execute(request: request, delegate: Receiver(limit: 1 << 16, stream: nil, what: "token from \(realmHost)")).futureResult.wait()
            } catch let error as BullaError {
                throw error
            } catch let error as HTTPClientError where error == .remoteConnectionClosed && retried < options.retries {
                retried += 1
                try pause(nil, attempt: retried)
                continue
            } catch {
                throw BullaError(.unreachable, "token server \(realmHost) for \(registry) did not answer", underlying: describe(error))
            }
            guard Self.isTransient(response.status.code) else { break }
            guard retried < options.retries else {
                throw BullaError(.ioFailure, "token server \(realmHost) for \(registry) answered HTTP \(response.status.code), \(retried + 1) times\(Self.said(response.body))")
            }
            retried += 1
            try pause(response.headers.first(name: "Retry-After"), attempt: retried)
        }
        guard response.status == .ok else {
            throw BullaError(
                .accessDenied,
                "token server \(realmHost) refused \(login == nil ? "an anonymous" : "\(login!.username)'s") request for \(wanted.joined(separator: " ")) (HTTP \(response.status.code))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty else {
            throw BullaError(.malformedInput, "token server \(realmHost) answered without a token")
        }
        // The distribution spec's default lifetime is 60 s; renew a little early.
        let lifetime = max(((object["expires_in"] as? NSNumber)?.int64Value ?? 60) - 10, 1)
        let key = scopes.sorted().joined(separator: " ")
        state.withLock { $0.tokens[key] = (token, .now() + .seconds(lifetime)) }
    }

    /// A short quote of an error body, for the message.
    static func said(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": \(text)"
    }

    private func describe(_ error: any Error) -> String {
        let timeoutSeconds = options.timeoutSeconds
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout: return "it sent nothing for \(timeoutSeconds) s"
            case .connectTimeout: return "connecting took over \(timeoutSeconds) s"
            case .remoteConnectionClosed: return "the connection closed early"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("handshakeFailed") && !options.insecure {
            return "TLS handshake failed; for a plain-HTTP registry on this machine pass --insecure: \(text)"
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused: is the registry running?" }
        return text
    }
}

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
