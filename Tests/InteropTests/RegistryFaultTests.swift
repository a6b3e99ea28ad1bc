import Foundation
import Testing

/// What a registry can do wrong, injected by a proxy in front of a real one
/// (Tests/Fixtures/registry_faults.py): each fault gets a clear error, exit 3, well within the
/// timeout, and never a wrong answer; transient faults are retried until they pass.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no registry client"))
struct RegistryFaultTests {
    /// The amd64 fixture image and its signatures, pushed once for all fault cases.
    static let pushed: Result<(dir: String, repository: String, digest: String), any Error> = Result {
        let registries = try Registries.get()
        let dir = try RegistryTests.workspace()
        let repository = "faults/app"
        try RegistryTests.push("amd64", to: "\(registries.open)/\(repository):1", in: dir)
        let digest = try RegistryTests.skopeoDigest("\(registries.open)/\(repository):1", in: dir)
        return (dir, repository, digest)
    }

    /// Runs bulla against the image through a proxy in `mode`; returns the result and seconds taken.
    static func through(_ mode: String, _ arguments: [String]) throws -> (Command.Result, Double, FaultProxy) {
        let (dir, repository, _) = try pushed.get()
        let proxy = try FaultProxy(upstream: try Registries.get().open, mode: mode)
        let image = "\(proxy.address)/\(repository):1"
        let start = Date()
        let result = try RegistryTests.bulla(arguments.map { $0 == "IMAGE" ? image : $0 } + ["--insecure"], in: dir)
        return (result, Date().timeIntervalSince(start), proxy)
    }

    /// A stopped registry and an unknown host are reported at once, not after --timeout (30 s by
    /// default): connecting again cannot fix either. The bound is loose for a busy machine; the
    /// answer takes well under a second.
    @Test(arguments: [
        (["--insecure", "127.0.0.1:9/faults/app:1"], "connection refused"),
        (["no-such-registry.invalid/faults/app:1"], "DNS has no address for no-such-registry.invalid"),
    ])
    func anUnreachableRegistryIsReportedAtOnce(_ arguments: [String], _ reason: String) throws {
        let (dir, _, _) = try Self.pushed.get()
        let start = Date()
        let result = try RegistryTests.bulla(["digest"] + arguments, in: dir)
        let seconds = Date().timeIntervalSince(start)
        #expect(result.status == 3 && result.stderr.contains(reason), "\(result.stderr)")
        #expect(seconds < 3, "took \(seconds) s")
    }

    @Test func aMissingAuthFileIsAnError() throws {
        let (dir, _, _) = try Self.pushed.get()
        let result = try RegistryTests.bulla(["digest", "--authfile", "/nonexistent/auth.json", "--insecure", "127.0.0.1:9/faults/app:1"], in: dir)
        #expect(result.status == 2 && result.stderr.contains("--authfile /nonexistent/auth.json cannot be read"), "\(result.stderr)")
        // A directory is no credentials file either.
        let directory = try RegistryTests.bulla(["digest", "--authfile", dir, "--insecure", "127.0.0.1:9/faults/app:1"], in: dir)
        #expect(directory.status == 2 && directory.stderr.contains("--authfile \(dir) cannot be read (it must be a file)"), "\(directory.stderr)")
    }

    @Test func persistentServerErrorsFailAfterTheRetries() throws {
        let (result, seconds, _) = try Self.through("error500", ["digest", "IMAGE", "--retries", "2"])
        #expect(result.status == 3 && result.stderr.contains("answered HTTP 500") && result.stderr.contains("3 times"), "\(result.stderr)")
        #expect(seconds < 15)
    }

    @Test func transientServerErrorsAreRetried() throws {
        let (_, _, digest) = try Self.pushed.get()
        let (result, _, _) = try Self.through("flaky500", ["verify-content", "IMAGE"])
        #expect(result.status == 0 && result.stdout.contains(digest), "\(result.stderr)")
    }

    /// A connection reset before the answer is sent again (a proxy's or a load balancer's
    /// reset): each path's first request is reset, and the command still succeeds.
    @Test func aResetConnectionIsRetried() throws {
        let (_, _, digest) = try Self.pushed.get()
        let (result, _, proxy) = try Self.through("reset", ["verify-content", "IMAGE"])
        #expect(result.status == 0 && result.stdout.contains(digest), "\(result.stderr)")
        let resets = try proxy.log().filter { $0["status"] as? String == "reset" }
        #expect(!resets.isEmpty, "the proxy reset no connection")
    }

    @Test func retryAfterIsHonoured() throws {
        let (_, _, digest) = try Self.pushed.get()
        let (result, _, proxy) = try Self.through("retry-after", ["digest", "IMAGE"])
        #expect(result.status == 0 && result.out == digest, "\(result.stderr)")
        // The second request for a path came at least the Retry-After second after the 429.
        var byPath: [String: [Double]] = [:]
        for entry in try proxy.log() where (entry["path"] as? String)?.hasPrefix("/v2/faults") == true {
            byPath[entry["path"] as! String, default: []].append((entry["time"] as? NSNumber)?.doubleValue ?? 0)
        }
        #expect(!byPath.isEmpty)
        for (path, times) in byPath where times.count > 1 {
            #expect(times[1] - times[0] >= 0.95, "\(path): \(times)")
        }
    }

    @Test func blobThatDoesNotMatchItsDigestIsRefusedAndNothingIsWritten() throws {
        let (dir, _, _) = try Self.pushed.get()
        // verify-content reports each bad blob as a verification result: exit 1.
        let (content, _, _) = try Self.through("bad-blob", ["verify-content", "IMAGE"])
        #expect(content.status == 1 && content.stdout.contains("content hashes to"), "\(content.stdout)\(content.stderr)")
        let mirror = "oci:\(dir)/bad-mirror-\(UUID().uuidString)"
        let (copy, _, _) = try Self.through("bad-blob", ["copy", "IMAGE", mirror])
        #expect(copy.status == 3 && copy.stderr.contains("content hashes to"), "\(copy.stderr)")
        // The layout may exist, but lists nothing.
        let index = try String(contentsOfFile: "\(mirror.dropFirst(4))/index.json", encoding: .utf8)
        #expect(index.contains("\"manifests\":[]"), "\(index)")
    }

    @Test(arguments: ["big-manifest", "big-manifest-chunked"])
    func manifestOverFourMiBIsRefused(_ mode: String) throws {
        let (result, _, _) = try Self.through(mode, ["digest", "IMAGE"])
        #expect(result.status == 3 && result.stderr.contains("more than the limit of 4194304"), "\(result.stderr)")
    }

    @Test(arguments: ["stall", "stall-headers"])
    func stalledResponsesTimeOut(_ mode: String) throws {
        let (result, seconds, _) = try Self.through(mode, ["verify-content", "IMAGE", "--timeout", "2s"])
        #expect(result.status == 3 && result.stderr.contains("sent nothing for 2 s"), "\(result.stderr)")
        #expect(seconds < 20, "took \(seconds) s")
    }
}
