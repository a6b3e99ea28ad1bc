#if canImport(BullaRegistry)
import Bulla
import BullaCrypto
import BullaRegistry
import Foundation
import Testing

/// The parts of the registry client the CLI reaches only with large images or on one
/// registry: chunked uploads, cross-repository mounts and paged tag lists, driven through the
/// library against the real registry, with a recording proxy to see which requests went out.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no registry client"))
struct RegistryClientTests {
    static func options(chunkSize: Int = 16 << 20) -> RegistryOptions {
        var options = RegistryOptions()
        options.insecure = true
        options.timeoutSeconds = 10
        options.chunkSize = chunkSize
        return options
    }

    @Test func chunkedUploadsAndMountsKeepTheDigest() throws {
        let registries = try Registries.get()
        let dir = try RegistryTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let proxy = try FaultProxy(upstream: registries.open, mode: "ok")
        let target = try RegistryReference(parsing: "\(proxy.address)/chunked/app:1")
        let layout = try ImageSources.open(.ociLayout(path: "\(dir)/layout", tag: "amd64"))

        // 64 KiB chunks: the 300 kB layer goes up in several PATCH requests.
        let client = try RegistryClient(for: target, options: Self.options(chunkSize: 64 << 10))
        try ImageCopier(from: layout, to: RegistryDestination(target, client: client)).copy(tag: "1")
        let patches = try proxy.log().filter { $0["method"] as? String == "PATCH" }
        #expect(patches.count >= 5, "\(patches.count) PATCH requests")
        let digest = try RegistryTests.skopeoDigest("\(registries.open)/chunked/app:1", in: dir)
        #expect(digest == (try layout.rootDescriptor().digest.description))
        let content = try RegistryTests.bulla(["verify-content", "--insecure", "\(registries.open)/chunked/app:1"], in: dir)
        #expect(content.status == 0, "\(content.stderr)")

        // Another repository on the same registry: every blob is mounted, none uploaded.
        let before = try proxy.log().count
        let source = try RegistrySource(target, client: client)
        let other = try RegistryReference(parsing: "\(proxy.address)/mounted/app:1")
        let report = try ImageCopier(from: source, to: RegistryDestination(other, client: client)).copy(tag: "1")
        let requests = try proxy.log().dropFirst(before)
        let mounts = requests.filter { ($0["method"] as? String) == "POST" && ($0["status"] as? Int) == 201 }
        #expect(mounts.count == report.blobsCopied && report.blobsCopied > 0, "\(requests)")
        #expect(!requests.contains { $0["method"] as? String == "PATCH" })
        #expect(try RegistryTests.skopeoDigest("\(registries.open)/mounted/app:1", in: dir) == digest)
    }

    /// A chunk that fails is not sent again into the same upload: one the registry stored
    /// before its answer was lost (a proxy's 500) would be refused as a second copy (416), and
    /// Docker's registry cancels an upload asked about at the offset it had before. The upload
    /// is abandoned and the blob sent again in a new session; the image arrives whole.
    @Test(arguments: ["patch-lost", "patch-refused"])
    func aFailedChunkStartsTheBlobOver(_ mode: String) throws {
        let registries = try Registries.get()
        let dir = try RegistryTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let proxy = try FaultProxy(upstream: registries.open, mode: mode)
        let target = try RegistryReference(parsing: "\(proxy.address)/\(mode)/app:1")
        let layout = try ImageSources.open(.ociLayout(path: "\(dir)/layout", tag: "amd64"))
        let client = try RegistryClient(for: target, options: Self.options(chunkSize: 64 << 10))
        try ImageCopier(from: layout, to: RegistryDestination(target, client: client)).copy(tag: "1")

        let uploads = try proxy.log().filter { ($0["path"] as? String)?.contains("/blobs/uploads/") == true }
        let failed = try #require(uploads.firstIndex { $0["method"] as? String == "PATCH" && $0["status"] as? Int == 500 }, "\(uploads)")
        // Blobs go up in parallel, so only this upload's own requests are looked at: after its
        // failed chunk it gets at most a DELETE, never another chunk.
        let session = uploads[failed]["path"] as? String
        let later = uploads[(failed + 1)...].filter { $0["path"] as? String == session }.map { $0["method"] as? String ?? "?" }
        #expect(later.allSatisfy { $0 == "DELETE" }, "the failed upload is abandoned, not continued: \(later)")
        #expect(!uploads.contains { $0["status"] as? Int == 416 }, "no chunk was sent twice into one upload: \(uploads)")
        #expect(try RegistryTests.skopeoDigest("\(registries.open)/\(mode)/app:1", in: dir) == (try layout.rootDescriptor().digest.description))
        let content = try RegistryTests.bulla(["verify-content", "--insecure", "\(registries.open)/\(mode)/app:1"], in: dir)
        #expect(content.status == 0, "\(content.stderr)")
    }

    @Test func tagListsAreReadPageByPage() throws {
        let registries = try Registries.get()
        let dir = try RegistryTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tags = (1...7).map { "v\($0)" }
        for tag in tags {
            try RegistryTests.push("amd64", to: "\(registries.open)/paged/app:\(tag)", in: dir)
        }
        let reference = try RegistryReference(parsing: "\(registries.open)/paged/app:v1")
        let client = try RegistryClient(for: reference, options: Self.options())
        #expect(try client.tags("paged/app", pageSize: 2).sorted() == tags)
        #expect(try client.tags("paged/none").isEmpty)
    }
}
#endif
