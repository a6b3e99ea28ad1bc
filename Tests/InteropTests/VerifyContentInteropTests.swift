import Foundation
import Testing

/// `bulla verify-content` passes intact images in every form and names the blob that is damaged.
@Suite struct VerifyContentInteropTests {
    @Test(arguments: DigestInteropTests.references + ["docker-archive:docker25.tar"])
    func intactImagesVerify(_ reference: String) throws {
        let fixtures = try ImageFixtures.get()
        let result = try Peers.bulla("verify-content", reference, in: fixtures.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("verified "))
    }

    @Test func anUntaggedLayoutVerifiesEveryEntry() throws {
        let fixtures = try ImageFixtures.get()
        let result = try Peers.bulla("verify-content", "--output", "json", "oci:layout", in: fixtures.root)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((report["roots"] as? [String])?.count == 3)
        #expect(report["verified"] as? Bool == true)
    }

    enum Damage: String, CaseIterable, Sendable { case flip, truncate, remove }

    /// Copies the layout, damages one blob of the arm64 image, and expects exactly that blob named.
    @Test(arguments: Damage.allCases, ["config", "layer0", "layer1"])
    func damageIsReportedNamingTheBlob(_ damage: Damage, blob: String) throws {
        let fixtures = try ImageFixtures.get()
        let copy = "layout-\(damage)-\(blob)"
        try Command.succeed(["cp", "-r", "layout", copy], in: fixtures.root)
        defer { try? FileManager.default.removeItem(atPath: fixtures.path(copy)) }
        let inspect = try Peers.bulla("inspect", "--output", "json", "oci:\(copy):arm64", in: fixtures.root)
        let tree = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let children = try #require((tree["root"] as? [String: Any])?["children"] as? [[String: Any]])
        let target = try #require(children[["config": 0, "layer0": 1, "layer1": 2][blob]!]["digest"] as? String)
        let file = fixtures.path("\(copy)/blobs/sha256/\(target.dropFirst(7))")
        switch damage {
        case .flip:
            var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            bytes[bytes.count / 2] ^= 0x20
            try bytes.write(to: URL(fileURLWithPath: file))
        case .truncate:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: file))
        case .remove:
            try FileManager.default.removeItem(atPath: file)
        }
        for jobs in ["1", "2"] {
            let result = try Peers.bulla("verify-content", "--jobs", jobs, "oci:\(copy):arm64", in: fixtures.root)
            #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
            let failures = result.stdout.split(separator: "\n").filter { $0.hasPrefix("FAILED") }
            #expect(failures.count == 1)
            #expect(failures.first?.contains(target) == true, "\(result.stdout)")
            let reason = ["flip": "content hashes to", "truncate": "read", "remove": "missing"][damage.rawValue]!
            #expect(failures.first?.contains(reason) == true, "\(result.stdout)")
            #expect(result.stderr.contains("1 of 4 blobs failed"))
        }
        // The other image of the same layout is untouched and still verifies.
        #expect(try Peers.bulla("verify-content", "oci:\(copy):amd64", in: fixtures.root).status == 0)
    }

    @Test func damageInsideAnArchiveIsReportedToo() throws {
        let fixtures = try ImageFixtures.get()
        let work = "tampered-archive"
        try Command.succeed(["bash", "-euo", "pipefail", "-c", """
            rm -rf \(work) && mkdir \(work) && tar -xf single.tar -C \(work)
            layer=$(python3 -c "import json,sys; m=json.load(open('\(work)/blobs/sha256/'+json.load(open('\(work)/index.json'))['manifests'][0]['digest'][7:])); print(m['layers'][0]['digest'][7:])")
            printf 'X' | dd of=\(work)/blobs/sha256/$layer bs=1 seek=100 conv=notrunc status=none
            tar -cf \(work).tar -C \(work) . && gzip -kf \(work).tar
            echo $layer > \(work).digest
            """], in: fixtures.root)
        let layer = try String(contentsOfFile: fixtures.path("\(work).digest"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for reference in ["oci-archive:\(work).tar", "oci-archive:\(work).tar.gz"] {
            let result = try Peers.bulla("verify-content", reference, in: fixtures.root)
            #expect(result.status == 1, "\(reference): \(result.stderr)")
            #expect(result.stdout.contains("FAILED layer sha256:\(layer)"), "\(result.stdout)")
        }
    }
}
