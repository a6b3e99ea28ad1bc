import Bulla
import BullaCrypto
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// `bulla serve`: the Kubernetes admission webhook over HTTPS.
///
/// `POST /validate` and `POST /mutate` answer AdmissionReview requests; `/healthz` says the
/// process is up, `/readyz` that a policy is in force, `/metrics` reports in the Prometheus
/// format. The policy file is polled and reloaded when it changes and loads.
public struct AdmissionServer: Sendable {
    /// What answers `/validate` and `/mutate`, and whose policy store and metrics the server exposes.
    public let controller: AdmissionController
    /// How often the policy file is looked at.
    public var reloadInterval: Duration = .seconds(2)

    /// A server for `controller`; once running it polls the policy and certificate every `reloadInterval`.
    public init(controller: AdmissionController) {
        self.controller = controller
    }

    /// Runs Swift tasks on the server's event loops instead of a separate pool, so a request's
    /// handler starts and answers on the thread that read it: no hop to another thread and back,
    /// which on a loaded two-core machine is where the tail latency came from. Blocking work
    /// still leaves for `Blocking`'s threads. Call once, first thing, before any task runs.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Serves until SIGINT or SIGTERM; `onListening` is told the bound address.
    public func run(address: ListenAddress, certificate: ServingCertificate, onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            server: try .tls(.http1(), tlsConfiguration: certificate.tlsConfiguration),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "bulla"),
            onServerRunning: { channel in
                let bound = channel.localAddress
                onListening(ListenAddress(host: bound?.ipAddress ?? address.host, port: bound?.port ?? address.port).description)
            },
            logger: controller.logger)
        let watcher = Task { await watch(certificate) }
        defer {
            watcher.cancel()
            // Every decision answered is in the log's tree before the process exits.
            controller.decisionLog?.close()
        }
        try await app.runService()
    }

    /// Polls the policy file and the serving certificate; a change that loads replaces what
    /// is in force, one that does not is logged and counted, and what is in force stays (and
    /// `/readyz` stays ready).
    func watch(_ certificate: ServingCertificate) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: reloadInterval)
            // Reading, parsing and checking files blocks: not on an event loop.
            guard let (policy, pair) = try? await Blocking.run({ (self.controller.policies.reload(), certificate.reload()) }) else { continue }
            report(policy, of: "policy", controller.policies.path, counting: controller.metrics.policyReloads) {
                // Decisions name the policy they were made under; the old ones are never asked for again.
                controller.forgetDecisions()
            }
            report(pair, of: "serving certificate", certificate.paths.joined(separator: " and "), counting: controller.metrics.certificateReloads) {}
        }
    }

    private func report<Value>(_ reload: WatchedFiles<Value>.Reload, of what: String, _ files: String, counting counters: AdmissionMetrics.ReloadCounters, replaced: () -> Void) {
        switch reload {
        case .unchanged: break
        case .replaced(let digest):
            counters.ok.increment()
            replaced()
            controller.logger.notice("\(what) reloaded", metadata: ["files": .string(files), "digest": .string(digest.description)])
        case .refused(let reason):
            counters.refused.increment()
            controller.logger.error("\(what) change refused; the \(what) in force stays", metadata: ["files": .string(files), "reason": .string(reason)])
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("validate") { request, _ in try await self.review(request, mutate: false) }
        router.post("mutate") { request, _ in try await self.review(request, mutate: true) }
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ in
            "ready: policy \(self.controller.policies.loaded.digest)\n"
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.controller.metrics.exposition())))
        }
        return router
    }

    private func review(_ request: Request, mutate: Bool) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: AdmissionRequest.maxBytes)
        } catch {
            controller.metrics.malformed.increment()
            return Self.plain(.contentTooLarge, "an AdmissionReview is at most \(AdmissionRequest.maxBytes) bytes\n")
        }
        let answer = await controller.answer(Array(buffer: body), mutate: mutate)
        guard answer.status == 200 else {
            return Self.plain(.badRequest, String(decoding: answer.body, as: UTF8.self) + "\n")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
