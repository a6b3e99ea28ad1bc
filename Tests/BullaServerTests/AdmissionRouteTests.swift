import Bulla
import BullaCrypto
@testable import BullaServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The webhook's routes in-process (HummingbirdTesting's router framework, no socket): what
/// each answers, and a review judged end to end against a signed image in a local mirror.
@Suite struct AdmissionRouteTests {
    /// A policy trusting one key for `registry.example/team/**`, a mirror holding one image
    /// signed by that key and one unsigned image, and the server over them.
    struct World {
        let directory: URL
        let server: AdmissionServer
        let signed: Digest
        let unsigned: Digest

        init(noMatch: String = "deny") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-routes-\(UUID().uuidString)")
            let key = try SigningKey.generate()
            let mirror = directory.appendingPathComponent("mirror").path
            signed = try Self.image(at: "\(mirror)/registry.example/team/app", config: #"{"os":"linux","architecture":"amd64"}"#, signedBy: key)
            unsigned = try Self.image(at: "\(mirror)/registry.example/team/tool", config: #"{"os":"linux","architecture":"arm64"}"#, signedBy: nil)
            let policy = directory.appendingPathComponent("policy.yaml")
            let pem = key.publicKey.pemRepresentation.split(separator: "\n").map { "        \($0)" }.joined(separator: "\n")
            try Data("""
                version: 1
                noMatch: \(noMatch)
                rules:
                  - name: team
                    images: ["registry.example/team/**"]
                    keys:
                      - |
                \(pem)
                """.utf8).write(to: policy)
            // A deadline far past the 8 s default: the suite shares two cores with tests that
            // block threads on subprocesses, and a late answer is not what these tests judge.
            var settings = AdmissionSettings()
            settings.deadline = .seconds(120)
            let controller = AdmissionController(
                policies: try PolicyStore(path: policy.path), store: ImageStore(.mirror(mirror)), settings: settings, decisionLog: nil,
                logger: Logger(label: "bulla.test"))
            server = AdmissionServer(controller: controller)
        }

        /// Writes a one-manifest layout at `path` and, when a key is given, signs it there.
        static func image(at path: String, config: String, signedBy key: SigningKey?) throws -> Digest {
            // The layout is released (and its lock with it) before the signer opens it again.
            let descriptor = try {
                let layout = try LayoutDestination(root: path, create: true)
                let configDescriptor = try layout.putBlob(Array(config.utf8), mediaType: MediaType.ociConfig)
                let manifest = """
                    {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(configDescriptor.digest)","size":\(configDescriptor.size)},"layers":[]}
                    """
                let descriptor = try layout.putManifest(Array(manifest.utf8), mediaType: MediaType.ociManifest, as: .top(tag: "1"))
                try layout.commit()
                return descriptor
            }()
            if let key { _ = try ImageSigner(key: key).sign([descriptor], inLayout: path, format: .bundle) }
            return descriptor.digest
        }

        func review(_ images: [String]) -> ByteBuffer {
            let containers = images.enumerated().map { #"{"name":"c\#($0.offset)","image":"\#($0.element)"}"# }.joined(separator: ",")
            return ByteBuffer(string: """
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0a0b0c0d-0000-4000-8000-000000000001",
                "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
                "namespace":"prod","name":"web","operation":"CREATE","userInfo":{"username":"test"},
                "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"prod"},"spec":{"containers":[\(containers)]}}}}
                """)
        }

        /// Posts `body` to `route` and returns the status and the decoded `response` member.
        func post(_ route: String, _ body: ByteBuffer, in client: some TestClientProtocol) async throws -> (HTTPResponse.Status, [String: Any]) {
            try await client.execute(uri: route, method: .post, headers: [.contentType: "application/json"], body: body) { response in
                let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                return (response.status, object?["response"] as? [String: Any] ?? ["text": String(buffer: response.body)])
            }
        }

        func application() -> some ApplicationProtocol { Application(router: server.router()) }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        let world = try World()
        defer { world.remove() }
        try await world.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok && String(buffer: $0.body) == "ok\n") }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("ready: policy sha256:"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body).contains("bulla_admission"))
            }
        }
    }

    @Test func aSignedImageIsAllowedAndAnUnsignedOneDeniedWithTheReason() async throws {
        let world = try World()
        defer { world.remove() }
        try await world.application().test(.router) { client in
            let (status, allowed) = try await world.post("/validate", world.review(["registry.example/team/app@\(world.signed)"]), in: client)
            #expect(status == .ok)
            #expect(allowed["allowed"] as? Bool == true, "\(allowed)")
            let (_, denied) = try await world.post("/validate", world.review(["registry.example/team/tool@\(world.unsigned)"]), in: client)
            #expect(denied["allowed"] as? Bool == false)
            let message = (denied["status"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("0 of 1 required trusted key(s) signed"), "\(message)")
        }
    }

    @Test func anImageNoRuleMatchesGetsNoMatch() async throws {
        for (noMatch, allowed) in [("deny", false), ("allow", true)] {
            let world = try World(noMatch: noMatch)
            defer { world.remove() }
            try await world.application().test(.router) { client in
                let (_, response) = try await world.post("/validate", world.review(["registry.example/other/app:1"]), in: client)
                #expect(response["allowed"] as? Bool == allowed, "\(noMatch): \(response)")
                if !allowed {
                    let message = (response["status"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains("no rule matches registry.example/other/app:1"), "\(message)")
                }
            }
        }
    }

    @Test func anImageTheMirrorLacksIsDeniedNamingTheMirror() async throws {
        let world = try World()
        defer { world.remove() }
        try await world.application().test(.router) { client in
            let (_, response) = try await world.post("/validate", world.review(["registry.example/team/missing@\(world.signed)"]), in: client)
            #expect(response["allowed"] as? Bool == false)
            let message = (response["status"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("has no layout for registry.example/team/missing"), "\(message)")
        }
    }

    @Test func malformedAndOversizedBodiesAreRefusedWithTheirReason() async throws {
        let world = try World()
        defer { world.remove() }
        try await world.application().test(.router) { client in
            let (status, answer) = try await world.post("/validate", ByteBuffer(string: #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#), in: client)
            #expect(status == .badRequest)
            #expect((answer["text"] as? String)?.contains("request") == true, "\(answer)")
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: AdmissionRequest.maxBytes + 1)
            let (tooLarge, _) = try await world.post("/mutate", huge, in: client)
            #expect(tooLarge == .contentTooLarge)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("bulla_admission_malformed_requests_total 2"), "\(String(buffer: response.body))")
            }
        }
    }
}
