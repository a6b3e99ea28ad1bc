import Foundation
import Testing

/// `bulla log serve` as outside clients see it: 300 entries posted from 8 threads each get a
/// receipt whose checkpoint signature verifies with Python `cryptography` and whose proof passes
/// sigstore-python's Merkle check; the tlog-tiles paths serve exactly those entries and a tree
/// whose root is the signed one. `bulla sign --log URL` embeds a proof that verifies offline;
/// the log stays single-writer while served, and audits clean after the server stops.
///
/// Not in the AddressSanitizer pass, whose build leaves out the network layers (Package.swift).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no log server"))
struct LogServeTests {
    static let checker = AttestationPolicyTests.fixtures.appendingPathComponent("check_log_server.py").path

    @Test func outsideClientsFollowAServedLog() throws {
        let dir = try AttestationTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("log", "init", "lg", "--origin", "bulla.test/served", in: dir).status == 0)
        let server = try Server(["log", "serve", "lg", "--listen", "127.0.0.1:0"], in: dir)

        let client = try Command.run(["python3", Self.checker, server.url, "lg/log.pub", "300"], in: dir, timeout: 300)
        #expect(client.status == 0 && client.stdout.contains("300 receipts verified"), "\(client.stdout)\(client.stderr)")

        // One writer: the server holds the lock.
        try Data("late\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/late"))
        let second = try Peers.bulla("log", "append", "lg", "late", in: dir)
        #expect(second.status == 75 && second.stderr.contains("another process"), "\(second.stderr)")

        // Signing through the server: the bundle's entry verifies offline, and with sigstore-python.
        let signed = try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", "--log", server.url, "--output-bundle", "served.json", in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        let verified = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--bundle", "served.json", "--log-key", "lg/log.pub", "--require-log", in: dir)
        #expect(verified.status == 0 && verified.stdout.contains("logged at index 300 of bulla.test/served"), "\(verified.stdout)\(verified.stderr)")
        let peer = try Command.run(["python3", LogSigningTests.inclusionChecker, "served.json"], in: dir)
        #expect(peer.status == 0, "\(peer.stderr)")

        #expect(server.stop() == 0)
        let audit = try Peers.bulla("log", "verify", "lg", "--log-key", "lg/log.pub", in: dir)
        #expect(audit.status == 0 && audit.stdout.contains("301 entries"), "\(audit.stdout)\(audit.stderr)")

        // With the server gone, signing fails with the reason and leaves the layout as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/layout/index.json"))
        let down = try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", "--log", server.url, in: dir)
        #expect(down.status == 3 && down.stderr.contains("did not answer"), "\(down.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/layout/index.json")) == before)
        let clear = try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", "--log", "http://log.example.com", in: dir)
        #expect(clear.status == 2 && clear.stderr.contains("plain http only to a loopback host"), "\(clear.stderr)")
    }
}
