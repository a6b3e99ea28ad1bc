#if canImport(BullaServer)
import ArgumentParser
import Bulla
import BullaCrypto
import BullaRegistry
import BullaServer
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The Kubernetes admission webhook: answer AdmissionReview requests by a policy, over HTTPS.",
        discussion: """
            POST /validate allows or denies a workload (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController) by the images of all its containers; POST /mutate does the same and rewrites each allowed tag to the digest it verified. Anything that cannot be shown allowed is denied with the reason: an image the registry does not answer for, a deadline passed, an internal error.

            Decisions are cached per image digest and policy; with --decision-log, each is appended to that transparency log before it is answered. GET /healthz, /readyz and /metrics (Prometheus) serve operations. The policy file is reloaded when it changes; a change that does not load is logged and refused; so are the serving certificate and key, which new connections then get. Logs are JSON lines on stderr.

            EXAMPLES:
              bulla serve --policy policy.yaml --tls-cert tls.crt --tls-key tls.key
              bulla serve --policy policy.yaml --tls-cert tls.crt --tls-key tls.key \\
                --decision-log /var/lib/bulla/decisions --deadline 8s
            """)

    @Option(help: ArgumentHelp("The policy (YAML; spec/policy.md).", valueName: "file"))
    var policy: String

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("The serving certificate chain (PEM).", valueName: "file"))
    var tlsCert: String

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The serving certificate's private key (PEM, unencrypted).", valueName: "file"))
    var tlsKey: String

    @Option(help: ArgumentHelp("HOST:PORT, [IPv6]:PORT or :PORT (every interface); port 0 picks a free one.", valueName: "addr"))
    var listen = ":8443"

    @Option(name: .customLong("decision-log"), help: ArgumentHelp("Append every decision to this transparency log (made by `bulla log init`).", valueName: "dir"))
    var decisionLog: String?

    @Option(name: .customLong("decision-log-origin"), help: ArgumentHelp("Make the decision log on first start, when DIR holds none, under this origin and signed with --log-signing-key (a replica's empty volume); a log already there must have this origin and key.", valueName: "name"))
    var decisionLogOrigin: String?

    @Option(name: .customLong("fold-interval"), help: ArgumentHelp("How often the journaled decisions are appended to the decision log's tree, each time under a new signed checkpoint.", valueName: "duration"))
    var foldInterval = TimeSpan<BareMilliseconds>(milliseconds: 250)

    @Option(name: .customLong("log-signing-key"), help: ArgumentHelp("The decision log's private key (default DIR/log.key); passphrase from BULLA_LOG_PASSWORD, BULLA_PASSWORD or --passphrase-file.", valueName: "key"))
    var logSigningKey: String?

    @Option(help: ArgumentHelp("Read images and signatures from this mirror instead of registries: MIRROR/HOST/PATH is an OCI layout made by `bulla copy` (air-gapped).", valueName: "dir"))
    var mirror: String?

    @Option(help: ArgumentHelp("How long a review may take; keep it below the webhook's timeoutSeconds.", valueName: "duration"))
    var deadline = TimeSpan<BareMilliseconds>(milliseconds: 8000)

    @Option(name: .customLong("allow-ttl"), help: ArgumentHelp("How long an allowed image's decision is reused.", valueName: "duration"))
    var allowTTL = TimeSpan<BareSeconds>(milliseconds: 300_000)

    @Option(name: .customLong("deny-ttl"), help: ArgumentHelp("How long a denied image's decision is reused.", valueName: "duration"))
    var denyTTL = TimeSpan<BareSeconds>(milliseconds: 30_000)

    @Option(name: .customLong("tag-ttl"), help: ArgumentHelp("How long a tag is taken to name the digest last read for it.", valueName: "duration"))
    var tagTTL = TimeSpan<BareSeconds>(milliseconds: 30_000)

    @Option(name: .customLong("reload-interval"), help: ArgumentHelp("How often the policy file is looked at.", valueName: "duration"))
    var reloadInterval = TimeSpan<BareMilliseconds>(milliseconds: 2000)

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var registry: RegistryFlags

    func validate() throws {
        guard deadline.milliseconds > 0, reloadInterval.milliseconds > 0, foldInterval.milliseconds > 0 else {
            throw ValidationError("--deadline, --reload-interval and --fold-interval must be longer than 0")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a level") }
        if decisionLogOrigin != nil, decisionLog == nil || logSigningKey == nil {
            throw ValidationError("--decision-log-origin makes the log in --decision-log DIR with the key of --log-signing-key: give both")
        }
    }

    func run() async throws {
        AdmissionServer.runTasksOnEventLoops()
        let address = try ListenAddress(parsing: listen)
        let certificate = try ServingCertificate(certificate: tlsCert, key: tlsKey)
        var configured = Logger(label: "bulla.admission") { JSONLogHandler(label: $0) }
        configured.logLevel = Logger.Level(rawValue: logLevel)!
        let logger = configured
        var settings = AdmissionSettings()
        settings.deadline = deadline.duration
        settings.allowTTL = allowTTL.duration
        settings.denyTTL = denyTTL.duration
        settings.tagTTL = tagTTL.duration
        var options = try Images.options(registry, limits: .default)
        // Each review bounds its own registry traffic by --deadline; the command-wide deadline
        // is for commands that end.
        options.deadline = nil
        // A registry that does not answer must not hold a review past its deadline.
        options.timeoutSeconds = min(options.timeoutSeconds, max(1, deadline.milliseconds / 1000))
        // A registry gone mid-run is a denial with its reason inside the deadline, not a wait.
        options.retriesRefusedConnections = false
        let store = ImageStore(mirror.map { .mirror($0) } ?? .registries(options))
        let metrics = AdmissionMetrics()
        let log = try decisionLog.map { directory in
            let key = try passphrase.logSigningKey(logSigningKey ?? "\(directory)/log.key")
            if let origin = decisionLogOrigin, try LogSetup.prepare(at: directory, origin: origin, key: key) {
                logger.notice("made the decision log", metadata: ["directory": .string(directory), "origin": .string(origin)])
            }
            return try DecisionLog(directory: directory, key: key, foldInterval: foldInterval.duration, metrics: metrics) { error in
                logger.error("the decision log could not fold its journal into the tree; the decisions stay journaled", metadata: ["error": .string("\(error)")])
            }
        }
        if let recovered = log?.recovered, recovered.added > 0 || recovered.tornBytes > 0 {
            logger.warning("the decision log was not closed: its journal was folded into the tree", metadata: [
                "entries": .stringConvertible(recovered.added), "droppedBytes": .stringConvertible(recovered.tornBytes),
            ])
        }
        let controller = AdmissionController(
            policies: try PolicyStore(path: policy), store: store, settings: settings, decisionLog: log, metrics: metrics, logger: logger)
        var server = AdmissionServer(controller: controller)
        server.reloadInterval = reloadInterval.duration
        try await server.run(address: address, certificate: certificate) { bound in
            // The one line a script waits for, on standard output.
            print("serving admission at https://\(bound) with policy \(policy)")
            fflush(nil)
        }
    }
}
#endif
