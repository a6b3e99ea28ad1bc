import AsyncHTTPClient
import Bulla
import BullaCrypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
    /// Whether the registry has answered a request of this command: once it has, a refused
    /// connection is a restart to wait out under --retries, not a registry that is not there.
    private let answered = Atomic<Bool>(false)

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

    /// A client TLS configuration trusting the system's roots and the certificates in `files`
    /// (each named with where it came from, for the refusal of one that holds none).
    static func tls(trusting files: [(path: String, source: String)]) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = try files.map { file in
            do {
                return .certificates(try NIOSSLCertificate.fromPEMFile(file.path))
            } catch {
                throw BullaError(.malformedInput, "\(file.source) \(file.path) holds no PEM certificate", underlying: "\(error)")
            }
        }
        return tls
    }

    init(registry: String, apiHost: String, hostname: String, options: RegistryOptions) throws {
        if options.insecure && !RegistryOptions.isLoopback(hostname) {
            throw BullaError(.invalidArgument, "--insecure (plain HTTP) is only for a registry on this machine, not \(registry)")
        }
        let tls = try Self.tls(trusting: options.caFiles)
        let timeout = TimeAmount.seconds(options.timeoutSeconds)
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout, write: timeout))
        configuration.httpVersion = .http1Only
        // A refused connection or an unknown host is reported at once: trying again for the
        // whole --timeout only delays the answer. Retries are for what retrying can fix (429,
        // 5xx, a connection dropped mid-transfer), under --retries.
        configuration.connectionPool.retryConnectionEstablishment = false
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
        // An absolute target came from a registry (an upload's Location): it is held to the
        // rules of a redirect.
        var url = target.hasPrefix("/") ? base + target : try redirectTarget(target, from: base, what: what)
        var method = method
        var body = body
        var retry = retryPolicy()
        var redirects = 0
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
            try retry.checkDeadline(what)
            do {
                response = try http.execute(request: request, delegate: receiver, deadline: retry.deadline?.instant).futureResult.wait()
            } catch let error as BullaError {
                throw error
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw retry.deadlinePassed(what)
            } catch where resendable && retry.canRetry && !receiver.streamed && isTransient(error) {
                try retry.wait(retryAfter: nil)
                continue
            } catch {
                throw BullaError(.unreachable, "cannot get \(what) from \(registry)", underlying: describe(error))
            }
            answered.store(true, ordering: .relaxed)
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
            case let code where RetryPolicy.isTransient(code):
                guard resendable else { return response }
                guard retry.canRetry else {
                    throw BullaError(.ioFailure, "\(registry) answered HTTP \(response.status.code) to \(what), \(retry.attempts + 1) times\(Self.said(response.body))")
                }
                try retry.wait(retryAfter: response.headers.first(name: "Retry-After"))
                continue
            case 301, 302, 303, 307, 308:
                guard redirects < Self.maxRedirects else {
                    throw BullaError(.malformedInput, "\(registry) redirected \(what) more than \(Self.maxRedirects) times")
                }
                redirects += 1
                url = try redirectTarget(response.headers.first(name: "Location"), from: url, what: what)
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

    /// The most redirects followed for one request.
    static let maxRedirects = 5

    /// Where a redirect, or an upload `Location`, may lead: an `https` URL, or `http` to this machine when `--insecure`
    /// allows plain HTTP. Any other scheme (`http+unix`, `unix`, `file`, `ftp`…) would let a
    /// registry make Bulla talk to a local socket or file and echo what it said.
    func redirectTarget(_ location: String?, from url: String, what: String) throws -> String {
        guard let location, !location.isEmpty, let next = URL(string: location, relativeTo: URL(string: url)),
              let scheme = next.scheme?.lowercased() else {
            throw BullaError(.malformedInput, "\(registry) redirected \(what) without a usable Location")
        }
        let shown = Self.excerpt(Array(location.utf8), limit: 100)
        let rule = "Bulla follows redirects only to https, or to http on this machine with --insecure"
        guard scheme == "https" || scheme == "http" else {
            throw BullaError(.accessDenied, "\(registry) redirected \(what) to a \(Self.excerpt(Array(scheme.utf8), limit: 20)): URL (\(shown)); \(rule)")
        }
        guard let host = next.host, !host.isEmpty else {
            throw BullaError(.malformedInput, "\(registry) redirected \(what) to a URL without a host (\(shown))")
        }
        guard scheme == "https" || (options.insecure && RegistryOptions.isLoopback(host)) else {
            throw BullaError(.accessDenied, "\(registry) redirected \(what) to plain HTTP on \(Self.excerpt(Array(host.utf8), limit: 80)) (\(shown)); \(rule)")
        }
        return next.absoluteString
    }

    /// A retry counter for one request, under its deadline: one set around the work on this
    /// thread (a review's), else the options' own (a command's).
    func retryPolicy() -> RetryPolicy {
        RetryPolicy(options: options, deadline: RegistryDeadline.onThisThread ?? options.deadline, registry: registry)
    }

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
        guard scheme == "https" || (scheme == "http" && options.insecure && RegistryOptions.isLoopback(realmHost)) else {
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
        var retry = retryPolicy()
        while true {
            do {
                response = try http.execute(
                    request: request, delegate: Receiver(limit: 1 << 16, stream: nil, what: "token from \(realmHost)"), deadline: retry.deadline?.instant
                ).futureResult.wait()
            } catch let error as BullaError {
                throw error
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw retry.deadlinePassed("a token", from: realmHost)
            } catch where retry.canRetry && isTransient(error) {
                try retry.wait(retryAfter: nil)
                continue
            } catch {
                throw BullaError(.unreachable, "token server \(realmHost) for \(registry) did not answer", underlying: describe(error))
            }
            guard RetryPolicy.isTransient(response.status.code) else { break }
            guard retry.canRetry else {
                throw BullaError(.ioFailure, "token server \(realmHost) for \(registry) answered HTTP \(response.status.code), \(retry.attempts + 1) times\(Self.said(response.body))")
            }
            try retry.wait(retryAfter: response.headers.first(name: "Retry-After"))
        }
        guard response.status == .ok else {
            throw BullaError(
                .accessDenied,
                "token server \(realmHost) refused \(login == nil ? "an anonymous" : "\(login!.username)'s") request for \(wanted.joined(separator: " ")) (HTTP \(response.status.code))")
        }
        guard let answer = try? JSONDocument.decode(TokenAnswer.self, from: response.body, what: "token from \(realmHost)", limits: options.limits),
              let token = answer.token ?? answer.accessToken, !token.isEmpty else {
            throw BullaError(.malformedInput, "token server \(realmHost) answered without a token")
        }
        // The distribution spec's default lifetime is 60 s; renew a little early.
        let lifetime = min(max(answer.expiresIn ?? 60, 11), 86_400) - 10
        let key = scopes.sorted().joined(separator: " ")
        state.withLock { $0.tokens[key] = (token, .now() + .seconds(lifetime)) }
    }

    /// A short quote of an error body, for the message: what a registry says reaches terminals
    /// and the denial a pod's creator reads, so it is cut short and made plain.
    static func said(_ body: [UInt8]) -> String {
        let text = excerpt(body, limit: 200)
        return text.isEmpty ? "" : ": \(text)"
    }

    /// At most `limit` characters of `bytes`: printable ASCII kept, runs of anything else
    /// (control characters, escapes, line breaks, non-ASCII) each shown as one space, and `…`
    /// where it was cut.
    static func excerpt(_ bytes: [UInt8], limit: Int) -> String {
        var out = ""
        var pendingSpace = false
        for byte in bytes {
            guard byte >= 0x21 && byte <= 0x7E else {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" ") }
            pendingSpace = false
            guard out.utf8.count < limit else { return out + "…" }
            out.append(Character(Unicode.Scalar(byte)))
        }
        return out
    }

    /// Whether sending again can help: a connection reset or closed before the answer (a
    /// registry's keep-alive closing, a proxy's reset), or a refused connection once the registry
    /// has answered this command (it is restarting). A refused first connection and an unknown
    /// host are reported at once: nothing is there to wait for.
    private func isTransient(_ error: any Error) -> Bool {
        let registryAnswered = options.retriesRefusedConnections && answered.load(ordering: .relaxed)
        func transient(errno: CInt) -> Bool {
            errno == ECONNRESET || errno == EPIPE || (errno == ECONNREFUSED && registryAnswered)
        }
        switch error {
        case let error as HTTPClientError: return error == .remoteConnectionClosed
        case let error as IOError: return transient(errno: error.errnoCode)
        case let error as ChannelError: return error == .ioOnClosedChannel || error == .eof || error == .alreadyClosed
        case let error as NIOSSLError: return error == .uncleanShutdown
        case let error as NIOConnectionError:
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { ($0.error as? IOError).map { transient(errno: $0.errnoCode) } ?? false }
        default: return false
        }
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
        if let error = error as? NIOSSLError, case .handshakeFailed(let reason) = error {
            let why = Self.tlsReason(reason)
            return options.insecure ? "TLS handshake failed (\(why))" : "TLS handshake failed (\(why)); for a plain-HTTP registry on this machine pass --insecure"
        }
        let refused = "connection refused: is the registry running?"
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return refused }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty { return "DNS has no address for \(error.host)" }
            if error.connectionErrors.allSatisfy({ ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) { return refused }
            return "cannot connect to \(error.host):\(error.port): " + error.connectionErrors.map { "\($0.target): \($0.error)" }.joined(separator: "; ")
        }
        if let error = error as? SocketAddressError, case .unknown(let host, _) = error { return "DNS has no address for \(host)" }
        return "\(error)"
    }

    /// BoringSSL's reason for a failed handshake (`WRONG_VERSION_NUMBER`,
    /// `CERTIFICATE_VERIFY_FAILED`), without its queue numbers and source paths.
    static func tlsReason(_ error: BoringSSLError) -> String {
        guard case .sslError(let queue) = error, let first = queue.first else { return "\(error)" }
        let text = "\(first)"
        let beforePath = text.components(separatedBy: " at ").first ?? text
        return beforePath.split(separator: ":").last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? beforePath
    }
}

/// A token server's answer (distribution spec, "Token Response Fields"): `token`, or OAuth 2's
/// `access_token`, and `expires_in` seconds.
private struct TokenAnswer: Decodable {
    var token: String?
    var accessToken: String?
    var expiresIn: Int64?

    private enum CodingKeys: String, CodingKey {
        case token
        case accessToken = "access_token"
        case expiresIn = "expires_in"
    }
}
