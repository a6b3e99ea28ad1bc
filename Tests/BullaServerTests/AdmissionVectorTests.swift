@testable import Bulla
import BullaCrypto
@testable import BullaServer
import Foundation
import Synchronization
import Testing

/// spec/vectors/admission/reviews.json: the images and pointers read from each review, the
/// bodies refused, and a response byte for byte.
struct AdmissionVectorTests {
    static func vectors() -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("spec/vectors/admission/reviews.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]) ?? [:]
    }

    static func list(_ key: String) -> [[String: Any]] { vectors()[key] as? [[String: Any]] ?? [] }

    @Test func reviewsYieldEveryImageWithItsPointer() throws {
        #expect(Self.list("reviews").count >= 4)
        for vector in Self.list("reviews") {
            let name = vector["name"] as? String ?? "?"
            let body = try JSONSerialization.data(withJSONObject: vector["review"]!)
            let request = try AdmissionRequest(parsing: Array(body))
            let images = try WorkloadImages.images(in: try #require(request.object), kind: request.kind)
            let expected = (vector["images"] as? [[String: String]] ?? []).map {
                ContainerImage(list: $0["list"]!, container: $0["container"]!, image: $0["image"]!, pointer: $0["pointer"]!)
            }
            #expect(images == expected, "\(name)")
            #expect(request.namespace == "prod" && request.operation == "CREATE", "\(name)")
        }
    }

    @Test func refusedBodiesNameTheirReason() {
        #expect(Self.list("invalid").count >= 5)
        for vector in Self.list("invalid") {
            let body = Array((vector["body"] as? String ?? "").utf8)
            do {
                _ = try AdmissionRequest(parsing: body)
                Issue.record("\(vector["name"] ?? "?") was accepted")
            } catch {
                let message = (error as? BullaError)?.message ?? "\(error)"
                #expect(message.contains(vector["reason"] as? String ?? "\u{0}"), "\(message)")
            }
        }
    }

    @Test func responsesAreWrittenByteForByte() throws {
        for vector in Self.list("responses") {
            let response = AdmissionResponse(
                uid: vector["uid"] as! String, allowed: vector["allowed"] as! Bool, message: vector["message"] as? String,
                warnings: vector["warnings"] as? [String] ?? [])
            #expect(String(decoding: response.review(apiVersion: "admission.k8s.io/v1"), as: UTF8.self) == vector["expected"] as? String)
        }
    }

    /// Concurrent askers of one key share one computation; a failure is not kept.
    @Test func sharedCacheComputesOnceAndForgetsFailures() async throws {
        let cache = SharedCache<String, Int>(capacity: 8)
        final class Calls: Sendable { let count = Mutex(0) }
        let calls = Calls()
        let sources = await withTaskGroup(of: SharedCache<String, Int>.Source.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    try! await cache.value(for: "k", lifetime: { _ in 60_000_000_000 }) {
                        calls.count.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(50))
                        return 7
                    }.1
                }
            }
            var all: [SharedCache<String, Int>.Source] = []
            for await source in group { all.append(source) }
            return all
        }
        #expect(calls.count.withLock { $0 } == 1)
        #expect(sources.filter { $0 == .miss }.count == 1)
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await cache.value(for: "bad", lifetime: { _ in 1 }) { throw Boom() } }
        #expect(cache.cached("bad") == nil)
        #expect(cache.cached("k") == 7)
    }

    /// Policies reload only when their bytes change and they load.
    @Test func policyStoreKeepsThePolicyInForceWhenAChangeDoesNotLoad() throws {
        let dir = NSTemporaryDirectory() + "bulla-policy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try SigningKey.generate(.ecdsaP256)
        try key.publicKey.pemRepresentation.write(toFile: "\(dir)/k.pub", atomically: true, encoding: .utf8)
        let path = "\(dir)/p.yaml"
        let good = "version: 1\nrules:\n  - name: a\n    images: [\"**\"]\n    keys: [k.pub]\n"
        try good.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try PolicyStore(path: path)
        let first = store.loaded.digest
        #expect(store.reload() == .unchanged)
        try "version: 1\nrules: [{name: a, images: ['**'], keys: [gone.pub]}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .refused(let reason) = store.reload() else { Issue.record("a broken policy was not refused"); return }
        #expect(reason.contains("gone.pub"))
        #expect(store.reload() == .unchanged, "the same broken file is reported once")
        #expect(store.loaded.digest == first)
        try (good + "noMatch: allow\n").write(toFile: path, atomically: true, encoding: .utf8)
        guard case .replaced = store.reload() else { Issue.record("a good change was not loaded"); return }
        #expect(store.loaded.policy.noMatch == .allow)
    }
}
