import Foundation
import Testing

/// Signing with `--log`: the signature is recorded, the bundle carries the entry with its
/// inclusion proof and signed checkpoint, `verify --log-key --require-log` checks it offline,
/// sigstore-python's Merkle code accepts the proof, and a proof with a hash swapped, dropped or
/// added, or a checkpoint by another log key, is refused.
@Suite struct LogSigningTests {
    static let inclusionChecker = AttestationPolicyTests.fixtures.appendingPathComponent("check_inclusion.py").path

    @Test func loggedSignaturesVerifyOfflineAndPeersAgree() throws {
        let dir = try AttestationTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("log", "init", "lg", "--origin", "bulla.test/log", in: dir).status == 0)
        #expect(try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", "--log", "lg", in: dir).status == 0)
        #expect(try Peers.bulla("attest", "oci:layout:amd64", "--key", "p256.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson", "--log", "lg", in: dir).status == 0)
        let verified = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--log-key", "lg/log.pub", "--require-log", in: dir)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect((verified.stdout + verified.stderr).contains("logged at index 0 of bulla.test/log (checkpoint size 1), inclusion verified offline"))
        let attested = try Peers.bulla("verify-attestation", "oci:layout:amd64", "--key", "p256.pub", "--type", "spdxjson", "--log-key", "lg/log.pub", "--require-log", in: dir)
        #expect(attested.status == 0, "\(attested.stderr)")
        // Without a log, --require-log refuses; with another log's key, too.
        #expect(try Peers.bulla("sign", "oci:layout:arm64", "--key", "p256.key", in: dir).status == 0)
        let unlogged = try Peers.bulla("verify", "oci:layout:arm64", "--key", "p256.pub", "--log-key", "lg/log.pub", "--require-log", in: dir)
        #expect(unlogged.status == 1 && (unlogged.stdout + unlogged.stderr).contains("the bundle has no log entry"))
        #expect(try Peers.bulla("key", "generate", "--output-prefix", "otherlog", "--algorithm", "ed25519", in: dir).status == 0)
        let foreign = try Peers.bulla("verify", "oci:layout:amd64", "--key", "p256.pub", "--log-key", "otherlog.pub", "--require-log", in: dir)
        #expect(foreign.status == 1 && (foreign.stdout + foreign.stderr).contains("no signature by a known key"), "\(foreign.stderr)")
        #expect(try Peers.bulla("log", "verify", "lg", "--log-key", "lg/log.pub", in: dir).status == 0)

        // A detached bundle: sigstore-models parses it, sigstore-python's Merkle check accepts its proof.
        for _ in 0..<5 { #expect(try Peers.bulla("sign", "oci:layout:arm64", "--key", "p256.key", "--log", "lg", "--output-bundle", "logged.json", in: dir).status == 0) }
        #expect(try Command.run(["python3", SignatureInteropTests.checker, "logged.json", "p256.pub"], in: dir).status == 0)
        let peer = try Command.run(["python3", Self.inclusionChecker, "logged.json"], in: dir)
        #expect(peer.status == 0 && peer.stdout.contains("sigstore-python: inclusion verified"), "\(peer.stderr)")

        let edits: [(name: String, python: String, reason: String)] = [
            ("swapped", "h[0], h[1] = h[1], h[0]", "gives root"),
            ("dropped", "h.pop()", "fewer than the tree needs"),
            ("added", "h.append(h[0])", "more than the tree needs"),
            ("root", "p['rootHash'] = p['hashes'][0]", "the proof's rootHash is not the checkpoint's root"),
        ]
        for (name, python, reason) in edits {
            _ = try KeyInteropTests.sh("""
                python3 - <<'PY'
                import json
                b = json.load(open("logged.json"))
                p = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
                h = p["hashes"]
                \(python)
                json.dump(b, open("\(name).json", "w"))
                PY
                """, in: dir)
            let result = try Peers.bulla("verify", "oci:layout:arm64", "--key", "p256.pub", "--bundle", "\(name).json", "--log-key", "lg/log.pub", "--require-log", in: dir)
            #expect(result.status == 1, "\(name)")
            #expect((result.stdout + result.stderr).contains(reason), "\(name): \(result.stdout) \(result.stderr)")
            if name != "root" {
                #expect(try Command.run(["python3", Self.inclusionChecker, "\(name).json"], in: dir).status == 1, "sigstore-python accepted \(name)")
            }
        }
    }
}
