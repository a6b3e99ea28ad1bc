import Foundation
import Testing

/// `bulla log` end to end: checkpoints verify with Python `cryptography` over the note text
/// (key ID computed the C2SP way), a later checkpoint is consistent with an earlier one, and a
/// changed entry or tile byte is found by `log verify` with its own reason.
@Suite struct LogInteropTests {
    static func log() throws -> String {
        let dir = try SignatureInteropTests.workspace()
        #expect(try Peers.bulla("log", "init", "lg", "--origin", "bulla.test/log", in: dir).status == 0)
        for i in 0..<300 { try Data("entry \(i)\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/e\(i)")) }
        let appended = try Command.run([Peers.bulla, "log", "append", "lg"] + (0..<300).map { "e\($0)" }, in: dir)
        #expect(appended.status == 0, "\(appended.stderr)")
        #expect(try Peers.bulla("log", "checkpoint", "lg", in: dir).status == 0)
        return dir
    }

    @Test func checkpointsVerifyWithPythonCryptography() throws {
        let dir = try Self.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let checked = try KeyInteropTests.sh("""
            python3 - <<'PY'
            import base64, hashlib
            from cryptography.hazmat.primitives.serialization import load_pem_public_key, Encoding, PublicFormat
            note = open("lg/checkpoint", "rb").read()
            text, sigs = note.rsplit(b"\\n\\n", 1)
            text += b"\\n"
            assert text.split(b"\\n")[:2] == [b"bulla.test/log", b"300"], text
            line = sigs.decode().strip()
            assert line.startswith("\\u2014 bulla.test/log "), line
            raw = base64.b64decode(line.split(" ")[2])
            key = load_pem_public_key(open("lg/log.pub", "rb").read())
            pub = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
            assert raw[:4] == hashlib.sha256(b"bulla.test/log\\n\\x01" + pub).digest()[:4], "key ID"
            key.verify(raw[4:], text)
            print("cryptography: checkpoint signature verified")
            PY
            """, in: dir)
        #expect(checked.contains("cryptography: checkpoint signature verified"))
    }

    @Test func auditsFindEachTampering() throws {
        let dir = try Self.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed(["cp", "lg/checkpoint", "first.checkpoint"], in: dir)
        try Data("one more\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/more"))
        #expect(try Peers.bulla("log", "append", "lg", "more", in: dir).status == 0)
        #expect(try Peers.bulla("log", "checkpoint", "lg", in: dir).status == 0)
        let audit = try Peers.bulla("log", "verify", "lg", "--log-key", "lg/log.pub", "--since", "first.checkpoint", in: dir)
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(audit.stdout.contains("301 entries") && audit.stdout.contains("consistent with first.checkpoint"))

        let cases: [(file: String, offset: Int, reason: String)] = [
            ("lg/tile/entries/000", 14, "tile/0/000 differs from the hashes of the entries at hash 1"),
            ("lg/tile/entries/000", 10, "entry bundle 0 holds 232 entries, expected 256"),
            ("lg/tile/0/000", 40, "tile/0/000 differs from the hashes of the entries at hash 1"),
            ("lg/nodes/0/000", 40, "nodes/0/000 differs from the hashes of the entries"),
            ("lg/checkpoint", 20, "invalid signature for key bulla.test/log+"),
        ]
        for (file, offset, reason) in cases {
            let copy = "copy-\(UUID().uuidString)"
            try Command.succeed(["cp", "-r", "lg", copy], in: dir)
            let target = "\(dir)/\(copy)/\(file.dropFirst(3))"
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: target)))
            bytes[offset] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: target))
            let result = try Peers.bulla("log", "verify", copy, "--log-key", "lg/log.pub", in: dir)
            #expect(result.status != 0, "\(file)")
            #expect(result.stderr.contains(reason), "\(file): \(result.stderr)")
        }
        // A checkpoint signed by another key is refused, naming the signer.
        #expect(try Peers.bulla("key", "generate", "--output-prefix", "other", "--algorithm", "ed25519", in: dir).status == 0)
        let other = try Peers.bulla("log", "verify", "lg", "--log-key", "other.pub", in: dir)
        #expect(other.status == 1)
        #expect(other.stderr.contains("no signature by a known key"), "\(other.stderr)")
    }
}
