import Foundation
import Testing

/// `bulla digest` must print what skopeo and a registry would report for the same image.
@Suite struct DigestInteropTests {
    static let references = [
        "oci:layout:amd64",
        "oci:layout:arm64",
        "oci:layout:multi",
        "oci-archive:single.tar:amd64",
        "oci-archive:single.tar",
        "oci-archive:single.tar.gz",
        "oci-archive:single.tar.zst",
        "oci-archive:multi.tar:multi",
        "oci-archive:multi.tar.gz",
        "docker-archive:single-docker.tar",
        "docker-archive:single-docker.tar:example/single:v1",
        "docker-archive:single-docker.tar:docker.io/example/single:v1",
        "docker-archive:single-docker.tar:@0",
        "docker-archive:multi-arm64-docker.tar",
        "docker-archive:multi-amd64-docker.tar",
        "docker-archive:gz-layer-docker.tar",
    ]

    private func skopeoDigest(_ reference: String, _ fixtures: ImageFixtures) throws -> String {
        try Command.succeed(["bash", "-euo", "pipefail", "-c", "skopeo inspect --raw '\(reference)' | skopeo manifest-digest /dev/stdin"], in: fixtures.root)
    }

    @Test(arguments: references)
    func digestEqualsSkopeo(_ reference: String) throws {
        let fixtures = try ImageFixtures.get()
        let expected = try skopeoDigest(reference, fixtures)
        let result = try Peers.bulla("digest", reference, in: fixtures.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.out == expected)
        #expect(expected.hasPrefix("sha256:") && expected.count == 71)
    }

    @Test(arguments: ["oci:layout:multi", "oci-archive:multi.tar:multi", "oci-archive:multi.tar.gz"], ["amd64", "arm64"])
    func platformPicksTheChildSkopeoReportsForThatArchitecture(_ reference: String, arch: String) throws {
        let fixtures = try ImageFixtures.get()
        let expected = try skopeoDigest("oci:layout:\(arch)", fixtures)
        let result = try Peers.bulla("digest", "--platform", "linux/\(arch)", reference, in: fixtures.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.out == expected)
        #expect(try Peers.bulla("digest", reference, in: fixtures.root).out != expected, "without --platform the index itself")
    }

    @Test func aPlatformTheIndexLacksIsNamedWithTheChoices() throws {
        let fixtures = try ImageFixtures.get()
        let result = try Peers.bulla("digest", "--platform", "linux/s390x", "oci:layout:multi", in: fixtures.root)
        #expect(result.status == 3)
        #expect(result.stderr.contains("no manifest for platform linux/s390x"))
        #expect(result.stderr.contains("linux/amd64, linux/arm64"))
    }

    @Test func docker25ArchiveIsReadThroughItsOCILayout() throws {
        let fixtures = try ImageFixtures.get()
        // skopeo's oci-archive transport reads the layout inside the same file.
        let expected = try skopeoDigest("oci-archive:docker25.tar", fixtures)
        for reference in ["docker-archive:docker25.tar", "docker-archive:docker25.tar:example/modern:v25", "docker-archive:docker25.tar:@0"] {
            let result = try Peers.bulla("digest", reference, in: fixtures.root)
            #expect(result.status == 0, "\(reference): \(result.stderr)")
            #expect(result.out == expected, "\(reference)")
        }
        let missing = try Peers.bulla("digest", "docker-archive:docker25.tar:example/other:v1", in: fixtures.root)
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no image docker.io/example/other:v1"))
    }

    @Test func inspectShowsTheTreeWithPlatformsSizesAndMediaTypes() throws {
        let fixtures = try ImageFixtures.get()
        let json = try Peers.bulla("inspect", "--output", "json", "oci:layout:multi", in: fixtures.root)
        #expect(json.status == 0, "\(json.stderr)")
        let tree = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(tree["mediaType"] as? String == "application/vnd.bulla.inspect.v1+json")
        let root = try #require(tree["root"] as? [String: Any])
        #expect(root["role"] as? String == "index")
        #expect(root["digest"] as? String == (try skopeoDigest("oci:layout:multi", fixtures)))
        let children = try #require(root["children"] as? [[String: Any]])
        #expect(children.compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String } == ["amd64", "arm64"])
        for child in children {
            let blobs = try #require(child["children"] as? [[String: Any]])
            #expect(blobs.map { $0["role"] as? String } == ["config", "layer", "layer"])
            #expect(blobs.allSatisfy { ($0["size"] as? Int ?? 0) > 0 })
        }
        let text = try Peers.bulla("inspect", "docker-archive:single-docker.tar", in: fixtures.root)
        #expect(text.status == 0)
        #expect(text.stdout.contains("application/vnd.docker.image.rootfs.diff.tar.gzip"))
        #expect(text.stdout.contains("└─ layer"))
    }
}
