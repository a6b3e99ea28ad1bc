import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Signing images in layouts: recursive signing of an index, several signers, and atomicity
/// under SIGKILL at random moments.
@Suite struct ImageSigningTests {
    static func signedWorkspace() throws -> String {
        let dir = try SignatureInteropTests.workspace()
        try Command.succeed(["cp", "-r", try ImageFixtures.get().path("layout"), dir + "/layout"])
        return dir
    }

    @Test func recursiveSigningCoversTheIndexAndEveryPlatform() throws {
        let dir = try Self.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let signed = try Peers.bulla("sign", "oci:layout:multi", "--key", "p256.key", "--recursive", in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.split(separator: "\n").count == 3)
        for platform in [[], ["--platform", "linux/amd64"], ["--platform", "linux/arm64"]] {
            let verified = try Command.run([Peers.bulla, "verify", "oci:layout:multi", "--key", "p256.pub"] + platform, in: dir)
            #expect(verified.status == 0, "\(platform): \(verified.stdout) \(verified.stderr)")
        }
        // The tagged single-platform images are the same manifests, so they verify too.
        #expect(try Peers.bulla("verify", "oci:layout:arm64", "--key", "p256.pub", in: dir).status == 0)
        #expect(try Peers.bulla("verify-content", "oci:layout", in: dir).status == 0)
        // An untagged reference still means the one image, not its signatures.
        #expect(try Peers.bulla("digest", "oci:layout:multi", in: dir).status == 0)
    }

    @Test func severalSignersAndAThreshold() throws {
        let dir = try Self.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed([Peers.bulla, "sign", "oci:layout:amd64", "--key", "p256.key"], in: dir, environment: ["BULLA_PASSWORD": "pw"])
        let one = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--key", "ed.pub", "--threshold", "2", in: dir)
        #expect(one.status == 1)
        #expect(one.stderr.contains("1 trusted key(s) signed, 2 required"))
        try Command.succeed([Peers.bulla, "sign", "oci:layout:amd64", "--key", "ed.key", "--format", "legacy", "--identity", "registry.example/app"], in: dir, environment: ["BULLA_PASSWORD": "pw"])
        let two = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--key", "ed.pub", "--threshold", "2", "--output", "json", in: dir)
        #expect(two.status == 0, "\(two.stdout) \(two.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(two.stdout.utf8)) as? [String: Any])
        #expect(result["mediaType"] as? String == "application/vnd.bulla.verification.v1+json")
        #expect((result["trustedKeysSatisfied"] as? [String])?.count == 2)
        // The same key signing twice still counts once.
        try Command.succeed([Peers.bulla, "sign", "oci:layout:amd64", "--key", "p256.key"], in: dir, environment: ["BULLA_PASSWORD": "pw"])
        let twice = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--key", "p384.pub", "--threshold", "2", in: dir)
        #expect(twice.status == 1)
        #expect(twice.stdout.contains("already counted"))
    }

    @Test func archivesGetDetachedBundlesOnly() throws {
        let dir = try Self.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let archive = try ImageFixtures.get().path("single.tar.gz")
        let refused = try Peers.bulla("sign", "oci-archive:\(archive)", "--key", "p256.key", in: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--output-bundle"))
        #expect(try Peers.bulla("sign", "oci-archive:\(archive)", "--key", "p256.key", "--output-bundle", "b.json", in: dir).status == 0)
        #expect(try Peers.bulla("verify", "oci-archive:\(archive)", "--key", "p256.pub", "--bundle", "b.json", in: dir).status == 0)
        let wrongImage = try Peers.bulla("verify", "oci:layout:arm64", "--key", "p256.pub", "--bundle", "b.json", in: dir)
        #expect(wrongImage.status == 1)
        #expect(wrongImage.stdout.contains("not this image"))
    }

    /// Kills `bulla sign` with SIGKILL at random moments: the layout must always pass
    /// verify-content and be either unsigned or signed, never half.
    @Test func aKilledSignerLeavesTheLayoutWholeFiftyTimes() throws {
        let dir = try Self.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var outcomes = (signed: 0, unsigned: 0)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<50 {
            let copy = "kill-\(round)"
            try Command.succeed(["cp", "-r", "layout", copy], in: dir)
            let delay = Int.random(in: 0...150_000, using: &generator)
            let script = "BULLA_PASSWORD=pw '\(Peers.bulla)' sign oci:\(copy):multi --key p256.key --recursive --format \(round % 2 == 0 ? "bundle" : "legacy") --identity r.example/app >/dev/null 2>&1 & pid=$!; sleep \(String(format: "0.%06d", delay)); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true"
            try Command.succeed(["bash", "-c", script], in: dir)
            let content = try Peers.bulla("verify-content", "oci:\(copy)", in: dir)
            #expect(content.status == 0, "round \(round) (\(delay) µs): \(content.stdout) \(content.stderr)")
            let verified = try Peers.bulla("verify", "oci:\(copy):multi", "--key", "p256.pub", in: dir)
            #expect(verified.status == 0 || verified.status == 1, "round \(round): \(verified.stderr)")
            if verified.status == 0 { outcomes.signed += 1 } else { outcomes.unsigned += 1 }
            // Half-signed would show as a signed index with an unsigned platform.
            if verified.status == 0 {
                #expect(try Peers.bulla("verify", "oci:\(copy):multi", "--key", "p256.pub", "--platform", "linux/arm64", in: dir).status == 0, "round \(round): half signed")
            }
            try? FileManager.default.removeItem(atPath: "\(dir)/\(copy)")
        }
        print("kill test: 50 rounds, \(outcomes.signed) left signed, \(outcomes.unsigned) left unsigned, none damaged")
        #expect(outcomes.signed + outcomes.unsigned == 50)
    }
}
