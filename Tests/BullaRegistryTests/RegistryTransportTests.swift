import Bulla
import BullaCrypto
@testable import BullaRegistry
import Foundation
import Synchronization
import Testing

/// The registry client's transport against fake registries: authentication (bearer tokens,
/// basic), retries and their bounds, redirects, and what an error says.
@Suite(.serialized) struct RegistryTransportTests {
    static let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
    static let manifestType = "application/vnd.oci.image.manifest.v1+json"

    /// Options for a fake on this machine: plain HTTP, short waits, no credentials files.
    static func options(retries: Int = 3, authFile: String? = nil) -> RegistryOptions {
        var options = RegistryOptions()
        options.insecure = true
        options.retries = retries
        options.backoffSeconds = 0.01
        // Loose: the fakes answer from Swift's thread pool, which a busy CI machine may hold up.
        options.timeoutSeconds = 60
        options.credentials = RegistryCredentials(authFile: authFile, environment: [:])
        return options
    }

    static func client(_ port: Int, _ options: RegistryOptions = options()) throws -> RegistryClient {
        try RegistryClient(for: try RegistryReference(parsing: "127.0.0.1:\(port)/team/app:1"), options: options)
    }

    static func error(_ body: () throws -> Void) -> BullaError? {
        do { try body() } catch let error as BullaError { return error } catch { Issue.record("\(error)") }
        return nil
    }

    @Test func aBearerTokenIsFetchedOnceAndSentWithEachRequest() async throws {
        let fake = FakeRegistry { seen, port in
            if seen.path == "/token" { return .json(#"{"token":"tok-1","expires_in":300}"#) }
            guard seen.authorization == "Bearer tok-1" else {
                return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="http://127.0.0.1:\#(port)/token",service="fake""#)])
            }
            return .json(Self.manifest, type: Self.manifestType)
        }
        let found = try await fake.serve { port in
            let client = try Self.client(port)
            return try [client.manifest("team/app", "1"), client.manifest("team/app", "1")].map { $0?.descriptor.digest }
        }
        #expect(found == [Digest.compute(over: Array(Self.manifest.utf8)), Digest.compute(over: Array(Self.manifest.utf8))])
        let tokens = fake.requests(to: "/token")
        #expect(tokens.count == 1)
        #expect(tokens.first?.query.contains("service=fake") == true)
        #expect(tokens.first?.query.contains("scope=repository:team/app:pull") == true, "\(tokens.first?.query ?? "")")
    }

    @Test func basicCredentialsAreSentOnlyOnceTheRegistryAsks() async throws {
        let auth = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-auth-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: auth) }
        let fake = FakeRegistry { seen, _ in
            seen.authorization == "Basic dXNlcjpwdw==" ? .json(Self.manifest, type: Self.manifestType) : .init(status: 401, headers: [("WWW-Authenticate", #"Basic realm="fake""#)])
        }
        try await fake.serve { port in
            try Data(#"{"auths":{"127.0.0.1:\#(port)":{"auth":"dXNlcjpwdw=="}}}"#.utf8).write(to: auth)
            _ = try Self.client(port, Self.options(authFile: auth.path)).manifest("team/app", "1")
        }
        #expect(fake.requests.map(\.authorization) == [nil, "Basic dXNlcjpwdw=="])
    }

    /// A credentials file named on purpose (`--authfile`, REGISTRY_AUTH_FILE) that cannot be
    /// read is an error; the default docker config missing is no login.
    @Test func credentialFilesNamedOnPurposeMustBeReadable() throws {
        let named = RegistryCredentials(environment: ["REGISTRY_AUTH_FILE": "/nonexistent/auth.json", "HOME": "/nonexistent-home"])
        #expect(throws: BullaError(.notFound)) { try named.login(for: "registry.example") }
        let flag = RegistryCredentials(authFile: "/nonexistent/flag.json", environment: [:])
        #expect(throws: BullaError(.notFound)) { try flag.login(for: "registry.example") }
        #expect(try RegistryCredentials(environment: ["HOME": "/nonexistent-home"]).login(for: "registry.example") == nil)
    }

    @Test func withoutCredentialsARefusalSaysWhereTheyWereLookedFor() async throws {
        let fake = FakeRegistry { _, _ in .init(status: 401, headers: [("WWW-Authenticate", #"Basic realm="fake""#)]) }
        let empty = NSTemporaryDirectory() + "bulla-empty-auth-\(UUID().uuidString).json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: empty))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let error = try await fake.serve { port in Self.error { _ = try Self.client(port, Self.options(authFile: empty)).manifest("team/app", "1") } }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("none are configured for it (\(empty))") == true, "\(error?.message ?? "")")
    }

    @Test func transientAnswersAreAskedAgain() async throws {
        let counted = CountingFake(failures: 2, status: 503)
        let manifest = try await counted.fake.serve { port in try Self.client(port).manifest("team/app", "1") }
        #expect(manifest != nil)
        #expect(counted.fake.requests.count == 3)
    }

    @Test func retriesStopAtTheLimitAndTheErrorCountsThem() async throws {
        let counted = CountingFake(failures: .max, status: 503)
        let error = try await counted.fake.serve { port in Self.error { _ = try Self.client(port, Self.options(retries: 2)).manifest("team/app", "1") } }
        #expect(error?.code == .ioFailure, "\(String(describing: error))")
        #expect(error?.message.contains("answered HTTP 503 to manifest team/app:1, 3 times") == true, "\(error?.message ?? "")")
        #expect(counted.fake.requests.count == 3)
    }

    @Test(arguments: ["1e300", "nan", "inf", "3600"])
    func aRetryAfterBeyondWhatBullaWaitsFailsAtOnce(_ value: String) async throws {
        let fake = FakeRegistry { _, _ in .init(status: 429, headers: [("Retry-After", value)]) }
        let error = try await fake.serve { port in Self.error { _ = try Self.client(port).manifest("team/app", "1") } }
        #expect(error?.message.contains("asked to retry after") == true, "\(error?.message ?? "")")
        #expect(fake.requests.count == 1)
    }

    @Test func credentialsAreNotSentToTheHostARedirectLeadsTo() async throws {
        let blob = Array("layer bytes".utf8)
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: Digest.compute(over: blob), size: Int64(blob.count))
        let fake = FakeRegistry { seen, port in
            if seen.path.hasPrefix("/storage/") { return .init(status: 200, body: blob) }
            guard seen.authorization == "Bearer tok-2" else {
                if seen.path == "/token" { return .json(#"{"access_token":"tok-2"}"#) }
                return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="http://127.0.0.1:\#(port)/token""#)])
            }
            // 127.0.0.2 is another host than the registry's 127.0.0.1, as a CDN would be.
            return .init(status: 307, headers: [("Location", "http://127.0.0.2:\(port)/storage/\(descriptor.digest.hex)")])
        }
        let read = try await fake.serve(on: "0.0.0.0") { port in
            var bytes: [UInt8] = []
            try Self.client(port).readBlob("team/app", descriptor) { bytes += $0 }
            return bytes
        }
        #expect(read == blob)
        let storage = fake.requests(to: "/storage/")
        #expect(storage.count == 1 && storage.allSatisfy { $0.authorization == nil }, "\(storage)")
    }

    @Test(arguments: ["unix:///var/run/docker.sock", "file:///etc/passwd", "http://registry.example/x", "ftp://127.0.0.1/x"])
    func aRedirectLeavingHTTPSIsRefused(_ location: String) async throws {
        let fake = FakeRegistry { _, _ in .init(status: 302, headers: [("Location", location)]) }
        let error = try await fake.serve { port in Self.error { _ = try Self.client(port).manifest("team/app", "1") } }
        #expect(error != nil && error?.code != .unreachable, "\(String(describing: error))")
        #expect(error?.message.contains("redirect") == true, "\(error?.message ?? "")")
        #expect(fake.requests.count == 1)
    }

    @Test(arguments: [#"{"token":5}"#, #"{"token":""}"#, "[]", "not json"])
    func aTokenAnswerWithoutATokenIsRefused(_ body: String) async throws {
        let fake = FakeRegistry { seen, port in
            if seen.path == "/token" { return .json(body) }
            return .init(status: 401, headers: [("WWW-Authenticate", #"Bearer realm="http://127.0.0.1:\#(port)/token""#)])
        }
        let error = try await fake.serve { port in Self.error { _ = try Self.client(port).manifest("team/app", "1") } }
        #expect(error?.code == .malformedInput, "\(String(describing: error))")
        #expect(error?.message.contains("answered without a token") == true, "\(error?.message ?? "")")
    }

    @Test func anErrorBodyIsQuotedShortAndPlain() async throws {
        let noisy = "\u{1b}[31mdenied\u{1b}[0m " + String(repeating: "x", count: 5_000)
        let fake = FakeRegistry { _, _ in .init(status: 403, body: Array(noisy.utf8)) }
        let error = try await fake.serve { port in Self.error { _ = try Self.client(port).manifest("team/app", "1") } }
        let message = try #require(error?.message)
        #expect(error?.code == .accessDenied)
        #expect(!message.contains("\u{1b}"))
        #expect(message.count < 400, "\(message.count) characters")
    }
}

/// A fake that answers `status` to the first `failures` requests and the manifest after.
final class CountingFake: Sendable {
    let fake: FakeRegistry

    init(failures: Int, status: Int) {
        let box = Box()
        fake = FakeRegistry { _, _ in
            box.count.withLock { $0 += 1; return $0 } <= failures
                ? .init(status: status, headers: [("Retry-After", "0")])
                : .json(RegistryTransportTests.manifest, type: RegistryTransportTests.manifestType)
        }
    }

    final class Box: Sendable { let count = Mutex(0) }
}
