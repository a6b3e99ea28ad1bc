import Foundation
import Testing

/// A registry that attacks its client, not one that merely fails (RegistryFaultTests): redirects
/// to local sockets, files and other hosts, error bodies full of terminal escapes, answers paced to
/// beat every read timeout, referrer lists too long to read, and descriptors that lie about their
/// size. Each gets a clear refusal with the exit status of its kind, in bounded time, and never a
/// crash: a status of 128 + N is death by signal N (Command.run's encoding), so an abort is 134 and
/// a trap 133.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no registry client"))
struct HostileRegistryTests {
    static let socketServer = AttestationPolicyTests.fixtures.appendingPathComponent("unix_socket_server.py").path

    /// RegistryFaultTests.through, with the `redirect` mode's `--location` and a bound on how long
    /// bulla may run before it is killed (a hang then fails the test, not the run).
    static func through(
        _ mode: String, _ arguments: [String], location: String? = nil, timeout: TimeInterval = 60
    ) throws -> (result: Command.Result, seconds: Double, proxy: FaultProxy) {
        let (dir, repository, _) = try RegistryFaultTests.pushed.get()
        let proxy = try FaultProxy(upstream: try Registries.get().open, mode: mode, location: location)
        let image = "\(proxy.address)/\(repository):1"
        let start = Date()
        let result = try Command.run(
            [Peers.bulla] + arguments.map { $0 == "IMAGE" ? image : $0 } + ["--insecure"], in: dir,
            environment: ["BULLA_PASSWORD": "pw"], timeout: timeout)
        return (result, Date().timeIntervalSince(start), proxy)
    }

    /// What bulla said, for a failed expectation.
    static func shown(_ result: Command.Result) -> String {
        "exit \(result.status)\nstdout: \(result.stdout)\nstderr: \(result.stderr)"
    }

    /// The numbers in `text`, whole: "15000" holds no 1000, "10000" neither.
    static func numbers(in text: String) -> [Substring] {
        text.split { !$0.isASCII || !$0.isNumber }
    }

    // MARK: Redirects

    /// A registry's redirect to a Unix socket (AsyncHTTPClient speaks `http+unix://` and
    /// `unix://`) would let it make bulla query a local service (a container runtime's socket)
    /// and echo the answer into an error. Refused before any connection is made.
    @Test(arguments: ["http+unix", "unix"])
    func redirectsToUnixSocketsAreRefusedWithoutConnecting(_ scheme: String) throws {
        let socketPath = "/tmp/bulla-\(UUID().uuidString.prefix(8).lowercased()).sock"
        let record = "\(NSTemporaryDirectory())bulla-socket-record-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: record) }
        let server = try Spawned([try Peers.path("python3"), Self.socketServer, socketPath, record])
        defer { server.stop() }
        #expect(try server.firstLine(what: "unix_socket_server.py") == "listening")
        let location = scheme == "http+unix"
            ? "http+unix://\(socketPath.replacingOccurrences(of: "/", with: "%2F"))/v2/x"
            : "unix://\(socketPath)"

        let (result, seconds, _) = try Self.through("redirect", ["digest", "IMAGE", "--timeout", "3s"], location: location)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.lowercased().contains("redirect") && result.stderr.contains(scheme), "\(Self.shown(result))")
        #expect(!result.stderr.contains("SECRET-FROM-SOCKET") && !result.stdout.contains("SECRET-FROM-SOCKET"), "\(Self.shown(result))")
        #expect(seconds < 20, "took \(seconds) s")
        // The server records a connection as it accepts it, before reading: give a straggler a moment.
        Thread.sleep(forTimeInterval: 0.3)
        let connections = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
        #expect(connections.isEmpty, "bulla connected to \(socketPath): \(connections)")
    }

    /// Other schemes, and plain HTTP to a host that is not this machine (even with --insecure):
    /// refused, naming the scheme or the host. `file:` would otherwise be read and quoted.
    @Test(arguments: [
        ("file:///etc/passwd", "file"),
        ("ftp://127.0.0.1/x", "ftp"),
        ("http://example.invalid/v2/x", "example.invalid"),
    ])
    func redirectsToOtherSchemesAndRemotePlainHTTPAreRefused(_ location: String, _ named: String) throws {
        let (result, seconds, _) = try Self.through("redirect", ["digest", "IMAGE", "--timeout", "3s"], location: location)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.lowercased().contains("redirect") && result.stderr.contains(named), "\(Self.shown(result))")
        // Nothing of /etc/passwd is quoted back.
        #expect(!result.stderr.contains("root:") && !result.stdout.contains("root:"), "\(Self.shown(result))")
        #expect(seconds < 20, "took \(seconds) s")
    }

    /// The control: https to any host is a redirect bulla follows. Nothing listens on port 1, so
    /// it then fails to connect, and says so rather than refusing the scheme.
    @Test func redirectToHTTPSIsFollowed() throws {
        let (result, seconds, _) = try Self.through("redirect", ["digest", "IMAGE", "--timeout", "3s"], location: "https://127.0.0.1:1/v2/x")
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.contains("connection refused"), "\(Self.shown(result))")
        #expect(!result.stderr.contains("follows redirects only") && !result.stderr.contains("a https: URL"), "the scheme was refused: \(Self.shown(result))")
        #expect(seconds < 20, "took \(seconds) s")
    }

    // MARK: Answers made to hurt

    /// 20 KiB of "error" with ANSI escapes, line breaks and NUL bytes: quoted short and plain, so a
    /// registry cannot rewrite the terminal or the log line that shows it.
    @Test func noisyErrorBodiesAreQuotedShortAndPlain() throws {
        let (result, _, _) = try Self.through("noisy-error", ["digest", "IMAGE"])
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.contains("HTTP 400"), "\(Self.shown(result))")
        let scalars = result.stderr.unicodeScalars
        #expect(!scalars.contains("\u{1b}"), "an escape sequence reached stderr: \(result.stderr.debugDescription)")
        #expect(!scalars.contains("\u{0}"), "a NUL byte reached stderr: \(result.stderr.debugDescription)")
        #expect(!scalars.contains("\r"), "a carriage return reached stderr: \(result.stderr.debugDescription)")
        #expect(!result.stderr.contains("TAIL-MARKER"), "the whole body was quoted")
        #expect(result.stderr.count < 1_000, "\(result.stderr.count) characters: \(result.stderr.debugDescription)")
    }

    /// A manifest sent a byte a second beats any read timeout; the command's registry deadline
    /// still ends it.
    @Test func aDrippedManifestMeetsTheRegistryDeadline() throws {
        let (result, seconds, _) = try Self.through("drip", ["digest", "IMAGE", "--timeout", "5s", "--registry-deadline", "6s"], timeout: 60)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.contains("deadline"), "\(Self.shown(result))")
        #expect(seconds < 20, "took \(seconds) s")
    }

    /// 15000 referrers, each a manifest to fetch: refused by count, naming the bound of 1000,
    /// rather than read for hours or cut to the first ones (which would let junk hide the real
    /// signature).
    @Test func tooManyReferrersAreRefusedByCount() throws {
        // The pushed workspace holds the key pairs SignatureInteropTests.workspace makes.
        let (result, seconds, _) = try Self.through("many-referrers", ["verify", "IMAGE", "--key", "p256.pub"], timeout: 90)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(Self.numbers(in: result.stderr).contains("1000"), "\(Self.shown(result))")
        #expect(seconds < 60, "took \(seconds) s")
    }

    /// A registry that pages its referrers list: the signature is on the second page only (the
    /// proxy hides the fallback tag), so it verifies only when every page is read.
    @Test func referrersListedOverSeveralPagesAreAllRead() throws {
        let (dir, registry, repository, key) = try Self.signedCopy("paged/app")
        let proxy = try FaultProxy(upstream: registry, mode: "paged-referrers")
        let result = try Command.run(
            [Peers.bulla, "verify", "\(proxy.address)/\(repository):1", "--key", "\(key).pub", "--insecure"], in: dir, environment: ["BULLA_PASSWORD": "pw"],
            timeout: 120)
        #expect(result.status == 0, "\(Self.shown(result))")
        #expect(result.stdout.contains("(referrers API)"), "\(Self.shown(result))")
    }

    /// The fault image copied to a fresh repository under `prefix` and signed there (a cosign
    /// bundle, stored through the fallback index: docker-registry has no referrers API) with a
    /// new key. Returns the workspace, the registry, the repository and the key's path prefix.
    static func signedCopy(_ prefix: String) throws -> (dir: String, registry: String, repository: String, key: String) {
        let (dir, repository, _) = try RegistryFaultTests.pushed.get()
        let registry = try Registries.get().open
        let fresh = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let environment = ["BULLA_PASSWORD": "pw"]
        func bulla(_ arguments: [String]) throws {
            let result = try Command.run([Peers.bulla] + arguments, in: dir, environment: environment, timeout: 120)
            try #require(result.status == 0, "\(Self.shown(result))")
        }
        let key = "\(dir)/\(fresh.replacingOccurrences(of: "/", with: "-"))"
        try bulla(["key", "generate", "--output-prefix", key])
        try bulla(["copy", "\(registry)/\(repository):1", "\(registry)/\(fresh):1", "--insecure"])
        try bulla(["sign", "\(registry)/\(fresh):1", "--key", "\(key).key", "--insecure"])
        return (dir, registry, fresh, key)
    }

    /// A plain-HTTP server where TLS was expected: the reason is BoringSSL's, named short,
    /// with what to do, and none of the library's queue numbers or source paths.
    @Test func aPlainHTTPServerIsNamedWithoutTLSInternals() throws {
        let server = try Spawned([try Peers.path("python3"), "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
        defer { server.stop() }
        let line = try server.firstLine(what: "python3 -m http.server")
        let port = try #require(line.split(separator: " ").firstIndex(of: "port").map { line.split(separator: " ")[$0 + 1] }, "\(line)")
        let result = try Command.run([Peers.bulla, "digest", "127.0.0.1:\(port)/x/y:1", "--timeout", "5s"], timeout: 60)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.stderr.contains("TLS handshake failed (WRONG_VERSION_NUMBER); for a plain-HTTP registry on this machine pass --insecure"), "\(Self.shown(result))")
        #expect(!result.stderr.contains(".build") && !result.stderr.contains("BoringSSL"), "\(Self.shown(result))")
    }

    // MARK: Descriptors that lie about their size

    /// Pushes to a plain-HTTP registry, with Python's standard library: the blobs `abc` and `{}`,
    /// a referrer manifest for SUBJECT whose one bundle layer (`abc`) declares SIZE bytes, by
    /// digest, and the referrers fallback index `sha256-<hex of SUBJECT>` listing it. Prints
    /// {"referrer": HTTP status, "index": HTTP status (0 if not tried), "digest": the referrer's}.
    ///   python3 -c SCRIPT HOST REPOSITORY SUBJECT SIZE
    static let pushLyingReferrer = #"""
        import hashlib, json, sys, urllib.error, urllib.request
        host, repository, subject, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        base = "http://%s/v2/%s" % (host, repository)
        MANIFEST, INDEX = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
        BUNDLE, EMPTY = "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.oci.empty.v1+json"

        def call(method, url, body=None, content_type=None):
            request = urllib.request.Request(url, data=body, method=method)
            # distribution answers 404 for an OCI manifest to a client that does not accept it.
            request.add_header("Accept", ", ".join([MANIFEST, INDEX, "application/vnd.docker.distribution.manifest.v2+json",
                                                    "application/vnd.docker.distribution.manifest.list.v2+json"]))
            if content_type:
                request.add_header("Content-Type", content_type)
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status, response.headers, b""
            except urllib.error.HTTPError as error:
                return error.code, error.headers, error.read()

        def blob(data):
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            status, headers, said = call("POST", base + "/blobs/uploads/")
            assert status == 202, (status, said)
            location = headers["Location"]
            if location.startswith("/"):
                location = "http://" + host + location
            location += ("&" if "?" in location else "?") + "digest=" + digest
            status, _, said = call("PUT", location, data, "application/octet-stream")
            assert status == 201, (status, said)
            return digest

        def put_manifest(reference, body, media_type):
            status, _, said = call("PUT", "%s/manifests/%s" % (base, reference), body, media_type)
            if status != 201:
                sys.stderr.write("PUT manifests/%s: HTTP %d %s\n" % (reference, status, said.decode(errors="replace")))
            return status

        layer, config = blob(b"abc"), blob(b"{}")
        status, headers, _ = call("HEAD", "%s/manifests/%s" % (base, subject))
        assert status == 200, ("the subject is not in the repository", status)
        subject_descriptor = {"mediaType": headers["Content-Type"], "digest": subject, "size": int(headers["Content-Length"])}
        annotations = {"dev.sigstore.bundle.predicateType": "https://spdx.dev/Document"}
        referrer = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": BUNDLE,
            "config": {"mediaType": EMPTY, "digest": config, "size": 2},
            "layers": [{"mediaType": BUNDLE, "digest": layer, "size": size}],
            "subject": subject_descriptor, "annotations": annotations,
        }, separators=(",", ":")).encode()
        digest = "sha256:" + hashlib.sha256(referrer).hexdigest()
        pushed = put_manifest(digest, referrer, MANIFEST)
        index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [
            {"mediaType": MANIFEST, "digest": digest, "size": len(referrer), "artifactType": BUNDLE, "annotations": annotations},
        ]}, separators=(",", ":")).encode()
        indexed = put_manifest("sha256-" + subject.split(":", 1)[1], index, INDEX) if pushed == 201 else 0
        print(json.dumps({"referrer": pushed, "index": indexed, "digest": digest}))
        """#

    /// The fault image copied to a fresh repository under `prefix` in the real registry, with a
    /// referrer whose bundle layer declares `size` bytes pushed beside it and listed in its
    /// fallback index. Returns the workspace, the registry, the repository, the image's digest
    /// and the referrer's.
    static func pushLying(_ size: Int64, into prefix: String) throws -> (dir: String, host: String, repository: String, digest: String, referrer: String) {
        let (dir, repository, digest) = try RegistryFaultTests.pushed.get()
        let host = try Registries.get().open
        let fresh = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try KeyInteropTests.sh(
            "skopeo copy -q --preserve-digests --src-tls-verify=false --dest-tls-verify=false docker://\(host)/\(repository):1 docker://\(host)/\(fresh):1",
            in: dir)
        let printed = try Command.succeed([try Peers.path("python3"), "-c", Self.pushLyingReferrer, host, fresh, digest, String(size)])
        let pushed = try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: Any], "\(printed)")
        try #require(pushed["referrer"] as? Int == 201 && pushed["index"] as? Int == 201, "docker-registry refused the lying referrer: \(printed)")
        return (dir, host, fresh, digest, try #require(pushed["digest"] as? String))
    }

    /// A referrer whose bundle layer declares far more bytes than it has (and more than any
    /// attestation may hold): reported as unreadable, so nothing verifies (exit 1), and never
    /// allocated, summed into an overflow or trusted. Debian's docker-registry (distribution
    /// 2.8.2) stores all three manifests as pushed: it checks that the layer's blob exists, not
    /// its size.
    @Test(arguments: [Int64(1) << 50, Int64(1) << 30, Int64.max])
    func referrersWithLyingLayerSizesAreReportedNotRead(_ size: Int64) throws {
        let (dir, host, fresh, digest, referrer) = try Self.pushLying(size, into: "lying/size-\(size)")

        let result = try Command.run(
            [Peers.bulla, "verify-attestation", "\(host)/\(fresh)@\(digest)", "--insecure", "--key", "p256.pub", "--type", "spdxjson"],
            in: dir, environment: ["BULLA_PASSWORD": "pw"], timeout: 60)
        #expect(result.status == 1, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.contains(String(size)) || result.stderr.contains("limit"), "\(Self.shown(result))")
        // The referrer is named (by its abbreviated digest) as what could not be read.
        #expect(result.stderr.contains("referrer \(referrer.prefix(19))"), "\(Self.shown(result))")
    }

    // MARK: Layouts that lie about sizes

    static func sha256(_ bytes: Data) throws -> String {
        String(try Command.succeed(["sha256sum", "-"], stdinData: bytes).split(separator: " ")[0])
    }

    /// An OCI layout made by hand in a fresh scratch directory: one image tagged `app`, with a
    /// real config and one layer per size, none of whose blobs exist. Returns the scratch
    /// directory and the layout in it.
    static func layoutWithMissingLayers(sizes: [Int64]) throws -> (dir: String, layout: String) {
        let dir = try KeyInteropTests.scratch()
        let layout = "\(dir)/layout"
        let hand = try HandLayout(at: layout)
        func blob(_ text: String) throws -> String { try hand.blob(text) }
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
        let configDigest = try blob(config)
        // Each layer is the digest of text written nowhere: the blob is missing.
        let layers = try sizes.enumerated().map { n, size -> String in
            let hex = try Self.sha256(Data("missing layer \(n)".utf8))
            return #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\#(hex)","size":\#(size)}"#
        }
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.utf8.count)},\
            "layers":[\(layers.joined(separator: ","))]}
            """
        let manifestDigest = try blob(manifest)
        try hand.index(["""
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(manifestDigest)","size":\(manifest.utf8.count),\
            "annotations":{"org.opencontainers.image.ref.name":"app"}}
            """])
        return (dir, layout)
    }

    /// Two layers of Int64.max bytes each: their sum overflows, and no descriptor may be that
    /// large. Refused as bad input, naming the size.
    @Test func layerSizesPastTheLimitAreRefused() throws {
        let (dir, layout) = try Self.layoutWithMissingLayers(sizes: [Int64.max, Int64.max])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try Command.run([Peers.bulla, "verify-content", "oci:\(layout):app"], in: dir, timeout: 60)
        #expect(result.status == 3, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        #expect(result.stderr.contains(String(Int64.max)), "\(Self.shown(result))")
    }

    /// Two layers of 1 TiB, the largest size a descriptor may declare: read as missing, each
    /// reported (exit 1), without allocating or hashing anything of that size.
    @Test func layersOfTheLargestAllowedSizeThatAreMissingAreReported() throws {
        let (dir, layout) = try Self.layoutWithMissingLayers(sizes: [1 << 40, 1 << 40])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try Command.run([Peers.bulla, "verify-content", "oci:\(layout):app"], in: dir, timeout: 60)
        #expect(result.status == 1, "\(Self.shown(result))")
        #expect(result.status < 128, "killed by signal \(result.status - 128)")
        let failures = result.stdout.split(separator: "\n").filter { $0.hasPrefix("FAILED") }
        #expect(failures.count == 2 && failures.allSatisfy { $0.contains("missing") }, "\(Self.shown(result))")
        #expect(result.stderr.contains("2 of 4 blobs failed"), "\(Self.shown(result))")
    }
}
