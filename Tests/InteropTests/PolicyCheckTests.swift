import Foundation
import Testing

/// `policy check` of several images judges each one, and the worst result sets the exit status.
@Suite struct PolicyCheckTests {
    /// A signed image (allowed), a layout that is not there (undecided) and an unsigned image
    /// (denied), in that order: all three get their line and their JSON entry, and the exit
    /// status is the undecided image's 3, not the first verdict's.
    @Test func everyImageIsJudgedAndTheWorstResultWins() throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let signed = try Peers.bulla("sign", "oci:layout:arm64", "--key", "p256.key", in: dir)
        try #require(signed.status == 0, "\(signed.stderr)")
        try AttestationPolicyTests.policy("""
            version: 1
            rules:
              - name: signed
                images: ["oci:*"]
                keys: [p256.pub]
            """, in: dir)
        let images = ["oci:layout:arm64", "oci:missing:x", "oci:layout:amd64"]

        let text = try Command.run([Peers.bulla, "policy", "check", "--policy", "policy.yaml"] + images, in: dir)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(text.status == 3, "\(text.stdout)\(text.stderr)")
        #expect(lines.contains { $0.hasPrefix("ALLOW  oci:layout:arm64") }, "\(text.stdout)")
        #expect(lines.contains("UNDECIDED  oci:missing:x") && lines.contains { $0.hasPrefix("  error  ") }, "\(text.stdout)")
        #expect(lines.contains { $0.hasPrefix("DENY  oci:layout:amd64") }, "\(text.stdout)")
        #expect(text.stderr.contains("cannot judge oci:missing:x"), "\(text.stderr)")

        let json = try Command.run([Peers.bulla, "policy", "check", "--policy", "policy.yaml", "--output", "json"] + images, in: dir)
        #expect(json.status == 3, "\(json.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["reference"] as? String } == images.map { $0 })
        #expect(entries.map { $0["decision"] as? String } == ["allow", "undecided", "deny"])
        #expect(entries[1]["mediaType"] as? String == "application/vnd.bulla.policy-undecided.v1+json" && entries[1]["allowed"] as? Bool == false
                && (entries[1]["message"] as? String)?.isEmpty == false && entries[1]["code"] as? String != nil, "\(entries[1])")

        // Without the unreadable image, the denial sets the status.
        let judged = try Command.run([Peers.bulla, "policy", "check", "--policy", "policy.yaml", images[0], images[2]], in: dir)
        #expect(judged.status == 1, "\(judged.stdout)\(judged.stderr)")
    }
}
