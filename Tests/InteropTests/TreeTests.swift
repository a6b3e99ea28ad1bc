import Foundation
import Testing

/// `bulla tree` against what a real registry (Debian's `docker-registry`, no referrers API) and
/// `skopeo` show for the same image: every referrer in the fallback tag's index, every layer of
/// the `.sig` and `.att` manifests, and nothing else; after `bulla copy` to a layout, the same.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no registry client"))
struct TreeTests {
    /// What one `tree -o json` item is compared on.
    struct Item: Hashable, CustomStringConvertible {
        let digest: String, size: Int, kind: String, foundIn: String
        var description: String { "\(kind) \(digest.prefix(19)) \(size) in \(foundIn)" }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    static func skopeoRaw(_ image: String, in dir: String) throws -> [String: Any] {
        try json(try KeyInteropTests.sh("skopeo inspect --tls-verify=false --raw docker://\(image)", in: dir))
    }

    @Test func treeListsWhatSkopeoAndTheRegistryShow() throws {
        let registries = try Registries.get()
        let dir = try RegistryTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let repository = "\(registries.open)/tree/app"
        try RegistryTests.push("amd64", to: "\(repository):1", in: dir)
        let digest = try RegistryTests.skopeoDigest("\(repository):1", in: dir)
        let tag = "sha256-\(digest.dropFirst(7))"
        try Data(#"{"spdxVersion":"SPDX-2.3","name":"app"}"#.utf8).write(to: URL(fileURLWithPath: "\(dir)/sbom.json"))
        for arguments in [
            ["sign", "--key", "p256.key"],
            ["sign", "--key", "ed.key", "--format", "legacy"],
            ["attest", "--key", "p256.key", "--predicate", "sbom.json", "--type", "spdxjson"],
            ["attest", "--key", "p256.key", "--predicate", "sbom.json", "--type", "vuln", "--format", "legacy"],
        ] {
            let made = try RegistryTests.bulla(arguments + ["--insecure", "\(repository):1"], in: dir)
            try #require(made.status == 0, "\(made.stderr)")
        }

        // What the registry's own API and skopeo show: no referrers API, three tags beside the
        // image's, the referrers in the fallback index, the layers of .sig and .att.
        #expect(try Command.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(registries.open)/v2/tree/app/referrers/\(digest)"]).out == "404")
        let tags = try KeyInteropTests.sh("skopeo list-tags --tls-verify=false docker://\(repository) | python3 -c 'import json,sys; print(\" \".join(sorted(json.load(sys.stdin)[\"Tags\"])))'", in: dir)
        #expect(tags == "1 \(tag) \(tag).att \(tag).sig", "\(tags)")
        var expected: Set<Item> = []
        for entry in try Self.skopeoRaw("\(repository):\(tag)", in: dir)["manifests"] as? [[String: Any]] ?? [] {
            let referrer = try Self.skopeoRaw("\(repository)@\(entry["digest"] as! String)", in: dir)
            #expect((referrer["subject"] as? [String: Any])?["digest"] as? String == digest)
            let predicate = (entry["annotations"] as? [String: String])?["dev.sigstore.bundle.predicateType"] ?? ""
            expected.insert(Item(digest: entry["digest"] as! String, size: entry["size"] as! Int,
                                 kind: predicate.contains("spdx") ? "sbom" : "signature", foundIn: "tag \(tag)"))
        }
        for (suffix, kind) in [(".sig", "signature"), (".att", "attestation")] {
            for layer in try Self.skopeoRaw("\(repository):\(tag)\(suffix)", in: dir)["layers"] as? [[String: Any]] ?? [] {
                expected.insert(Item(digest: layer["digest"] as! String, size: layer["size"] as! Int, kind: kind, foundIn: "tag \(tag)\(suffix)"))
            }
        }
        #expect(expected.count == 4, "\(expected)")

        let tree = try RegistryTests.bulla(["tree", "--insecure", "\(repository):1", "-o", "json"], in: dir)
        try #require(tree.status == 0, "\(tree.stderr)")
        let document = try Self.json(tree.stdout)
        #expect(document["digest"] as? String == digest)
        let attachments = document["attachments"] as? [[String: Any]] ?? []
        let listed = Set(attachments.map { Item(digest: $0["digest"] as! String, size: $0["size"] as! Int, kind: $0["kind"] as! String, foundIn: $0["foundIn"] as! String) })
        #expect(listed == expected, "tree: \(listed.sorted { $0.description < $1.description })\nskopeo: \(expected.sorted { $0.description < $1.description })")
        #expect(attachments.filter { $0["format"] as? String == "bundle" }.allSatisfy { $0["claimedKeyID"] != nil }, "a bundle's claimed key is named")

        // The text form labels the key as claimed, and a copy to a layout lists the same items.
        let text = try RegistryTests.bulla(["tree", "--insecure", "\(repository):1"], in: dir)
        #expect(text.stdout.contains("(claimed, not verified)"), "\(text.stdout)")
        let copied = try RegistryTests.bulla(["copy", "--insecure", "\(repository):1", "oci:mirror:1"], in: dir)
        try #require(copied.status == 0, "\(copied.stderr)")
        let local = try Self.json(try RegistryTests.bulla(["discover", "oci:mirror:1", "-o", "json"], in: dir).stdout)
        let localDigests = Set((local["attachments"] as? [[String: Any]] ?? []).map { $0["digest"] as! String })
        #expect(localDigests == Set(expected.map(\.digest)), "\(local)")
    }
}
