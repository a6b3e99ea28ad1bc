import Foundation
import Testing

/// Keys that never leave the hardware: a real PKCS #11 token (Debian's softhsm2, a scratch token
/// made with softhsm2-util for each test), read back by OpenSC's pkcs11-tool, and what it signs
/// verified by Bulla, OpenSSL, securesystemslib and Python's cryptography.
@Suite struct PKCS11Tests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let pin = "246810"

    /// A directory with its own softhsm2 configuration and one initialised token, "bulla-test".
    struct Token {
        let dir: String
        var environment: [String: String] { ["SOFTHSM2_CONF": "\(dir)/softhsm2.conf", "BULLA_PKCS11_PIN": PKCS11Tests.pin, "BULLA_PASSWORD": "pw"] }

        init() throws {
            dir = try SignatureInteropTests.workspace()
            try FileManager.default.createDirectory(atPath: "\(dir)/tokens", withIntermediateDirectories: true)
            try "directories.tokendir = \(dir)/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
                .write(toFile: "\(dir)/softhsm2.conf", atomically: true, encoding: .utf8)
            try Command.succeed(["softhsm2-util", "--init-token", "--free", "--label", "bulla-test", "--pin", PKCS11Tests.pin, "--so-pin", "13579"],
                                in: dir, environment: ["SOFTHSM2_CONF": "\(dir)/softhsm2.conf"])
        }

        /// The URI of the key labelled `object` on the scratch token.
        func uri(_ object: String, token: String = "bulla-test", module: String = PKCS11Tests.module) -> String {
            "pkcs11:token=\(token);object=\(object)?module-path=\(module)"
        }

        func bulla(_ arguments: [String], environment: [String: String] = [:]) throws -> Command.Result {
            try Command.run([Peers.bulla] + arguments, in: dir, environment: self.environment.merging(environment) { _, new in new })
        }
    }

    @Test(arguments: ["ecdsa-p256", "ecdsa-p384", "ed25519"])
    func aKeyMadeInTheTokenNeverLeavesIt(_ algorithm: String) throws {
        let token = try Token()
        defer { try? FileManager.default.removeItem(atPath: token.dir) }
        let made = try token.bulla(["key", "generate", "--pkcs11", token.uri("release"), "--output-prefix", "release", "--algorithm", algorithm, "-o", "json"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(token.dir)/release.key"), "no private key file")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
        #expect((report["token"] as? String)?.contains("id=") == true, "\(report)")
        // The ID read back through the URI is the written public key's.
        let fromToken = try token.bulla(["key", "id", "--key", token.uri("release")])
        let fromFile = try token.bulla(["key", "id", "--key", "release.pub"])
        #expect(fromToken.status == 0 && fromToken.stdout == fromFile.stdout && fromToken.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == report["keyID"] as? String,
                "\(fromToken.stdout)\(fromToken.stderr) vs \(fromFile.stdout)")
        // OpenSC's pkcs11-tool, through the PKCS #11 API: sensitive, never extractable.
        let objects = try Command.run(["pkcs11-tool", "--module", Self.module, "--token-label", "bulla-test", "--login", "--pin", Self.pin, "--list-objects", "--type", "privkey"],
                                      in: token.dir, environment: token.environment)
        #expect(objects.status == 0 && objects.stdout.contains("label:      release"), "\(objects.stdout)\(objects.stderr)")
        #expect(objects.stdout.contains("never extractable") && objects.stdout.contains("sensitive"), "\(objects.stdout)")
        // The same label again is refused: a key is never shadowed.
        let again = try token.bulla(["key", "generate", "--pkcs11", token.uri("release"), "--output-prefix", "again"])
        #expect(again.status == 2 && again.stderr.contains("already has an object labelled \"release\""), "\(again.stderr)")
    }

    @Test func tokenKeysSignWhatPeersVerify() throws {
        let token = try Token()
        defer { try? FileManager.default.removeItem(atPath: token.dir) }
        try Command.succeed(["cp", "-r", try ImageFixtures.get().path("layout"), "\(token.dir)/layout"])
        for (label, algorithm) in [("p256", "ecdsa-p256"), ("log", "ed25519")] {
            let made = try token.bulla(["key", "generate", "--pkcs11", token.uri(label), "--output-prefix", "t-\(label)", "--algorithm", algorithm])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let key = token.uri("p256")
        // An image: Bulla verifies with the public key.
        #expect(try token.bulla(["sign", "oci:layout:amd64", "--key", key]).status == 0)
        let verified = try token.bulla(["verify", "oci:layout:amd64", "--key", "t-p256.pub"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // A blob: OpenSSL verifies the signature with the public key.
        let blob = try token.bulla(["sign-blob", "blob.bin", "--key", key, "--output-bundle", "blob.json"])
        #expect(blob.status == 0, "\(blob.stderr)")
        _ = try KeyInteropTests.sh("python3 -c \"import json,base64; open('blob.sig','wb').write(base64.b64decode(json.load(open('blob.json'))['messageSignature']['signature']))\"", in: token.dir)
        let openssl = try Command.run(["openssl", "dgst", "-sha256", "-verify", "t-p256.pub", "-signature", "blob.sig", "blob.bin"], in: token.dir)
        #expect(openssl.status == 0 && openssl.stdout.contains("Verified OK"), "\(openssl.stdout)\(openssl.stderr)")
        // An attestation: securesystemslib verifies the DSSE envelope.
        let attested = try token.bulla(["attest", "oci:layout:arm64", "--key", key, "--predicate", "\(Webhook.root.path)/spec/vectors/policy/predicates/log4j-2.17.1.spdx.json",
                                        "--type", "spdxjson", "--output-bundle", "att.json"])
        #expect(attested.status == 0, "\(attested.stderr)")
        let dsse = try Command.run(["python3", SignatureInteropTests.checker, "att.json", "t-p256.pub"], in: token.dir)
        #expect(dsse.status == 0 && dsse.stdout.contains("securesystemslib: DSSE envelope verified"), "\(dsse.stdout)\(dsse.stderr)")
        // A log whose checkpoints the token signs (Ed25519): Python's cryptography verifies the note.
        #expect(try token.bulla(["log", "init", "lg", "--origin", "bulla.test/hsm", "--log-signing-key", token.uri("log")]).status == 0)
        try Data("entry\n".utf8).write(to: URL(fileURLWithPath: "\(token.dir)/e"))
        #expect(try token.bulla(["log", "append", "lg", "e"]).status == 0)
        let checkpoint = try token.bulla(["log", "checkpoint", "lg", "--log-signing-key", token.uri("log")])
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        let note = try KeyInteropTests.sh("""
            python3 - <<'PY'
            import base64, hashlib
            from cryptography.hazmat.primitives.serialization import load_pem_public_key, Encoding, PublicFormat
            text, sigs = open("lg/checkpoint", "rb").read().rsplit(b"\\n\\n", 1)
            text += b"\\n"
            raw = base64.b64decode(sigs.decode().strip().split(" ")[2])
            key = load_pem_public_key(open("t-log.pub", "rb").read())
            assert raw[:4] == hashlib.sha256(b"bulla.test/hsm\\n\\x01" + key.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:4]
            key.verify(raw[4:], text)
            print("cryptography: checkpoint signed in the token verified")
            PY
            """, in: token.dir)
        #expect(note.contains("checkpoint signed in the token verified"))
        #expect(try token.bulla(["log", "verify", "lg", "--log-key", "t-log.pub"]).status == 0)
    }

    @Test func eachFailureHasItsOwnReason() throws {
        let token = try Token()
        defer { try? FileManager.default.removeItem(atPath: token.dir) }
        #expect(try token.bulla(["key", "generate", "--pkcs11", token.uri("release"), "--output-prefix", "release"]).status == 0)
        try "not a module".write(toFile: "\(token.dir)/fake.so", atomically: true, encoding: .utf8)
        let cases: [(String, [String: String], Int32, String)] = [
            (token.uri("release"), ["BULLA_PKCS11_PIN": "000000"], 3, "the PIN is incorrect (CKR 0xa0) (the PIN from BULLA_PKCS11_PIN)"),
            (token.uri("release", token: "elsewhere"), [:], 3, "no token matching pkcs11:"),
            (token.uri("missing"), [:], 3, "has no private key labelled \"missing\""),
            (token.uri("release", module: "/usr/lib/x86_64-linux-gnu/libz.so.1"), [:], 3, "exports no C_GetFunctionList: not a PKCS#11 module"),
            (token.uri("release", module: "\(token.dir)/fake.so"), [:], 3, "cannot be loaded"),
            (token.uri("release", module: "\(token.dir)/absent.so"), [:], 3, "cannot be loaded"),
            ("pkcs11:token=bulla-test;object=release", [:], 2, "names no module"),
            ("pkcs11:token=bulla-test;object=release;colour=red?module-path=\(Self.module)", [:], 2, "\"colour\" is not a path attribute Bulla reads"),
            // Text that is not UTF-8 would match as if absent, selecting another token's key.
            ("pkcs11:token=bulla-test%FF;object=release?module-path=\(Self.module)", [:], 2, "token is not UTF-8 text without NUL bytes"),
            ("pkcs11:token=bulla-test;object=release?module-path=\(Self.module)%00.evil", [:], 2, "module-path is not UTF-8 text without NUL bytes"),
            ("pkcs11:token=bulla-test;object=release;type=public?module-path=\(Self.module)", [:], 2, "Bulla signs with private keys"),
            ("pkcs11:token=bulla-test;object=release;library-description=x?module-path=\(Self.module)", [:], 2, "Bulla does not match on library-description"),
        ]
        for (uri, environment, status, reason) in cases {
            let result = try token.bulla(["sign-blob", "blob.bin", "--key", uri, "--output-bundle", "x.json"], environment: environment)
            #expect(result.status == status && result.stderr.contains(reason), "\(uri) \(environment): \(result.status) \(result.stderr)")
            #expect(!result.stderr.contains(Self.pin) && !result.stderr.contains("000000"), "no PIN in messages: \(result.stderr)")
        }
        // No PIN anywhere, and no terminal: refused, saying where a PIN may come from.
        let noPIN = try Command.run([Peers.bulla, "sign-blob", "blob.bin", "--key", token.uri("release"), "--output-bundle", "x.json"],
                                    in: token.dir, environment: ["SOFTHSM2_CONF": "\(token.dir)/softhsm2.conf"])
        #expect(noPIN.status == 3 && noPIN.stderr.contains("needs its PIN: give pin-source=file:"), "\(noPIN.stderr)")
        // pin-source=file: works without the variable, and pin-value is never printed.
        try "\(Self.pin)\n".write(toFile: "\(token.dir)/pin", atomically: true, encoding: .utf8)
        let fromFile = try Command.run([Peers.bulla, "sign-blob", "blob.bin", "--key", token.uri("release") + "&pin-source=file:\(token.dir)/pin", "--output-bundle", "y.json"],
                                       in: token.dir, environment: ["SOFTHSM2_CONF": "\(token.dir)/softhsm2.conf"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let wrongValue = try Command.run([Peers.bulla, "sign-blob", "blob.bin", "--key", token.uri("release") + "&pin-value=999999", "--output-bundle", "z.json"],
                                         in: token.dir, environment: ["SOFTHSM2_CONF": "\(token.dir)/softhsm2.conf"])
        #expect(wrongValue.status == 3 && !wrongValue.stderr.contains("999999"), "\(wrongValue.stderr)")
        // A mistyped separator must not print the PIN either, wherever the text is quoted.
        for uri in ["pkcs11:token=bulla-test;object=release;type=private&pin-value=SECRET99?module-path=\(Self.module)",
                    "pkcs11:token=bulla-test;object=release?module-path=\(token.dir)/absent.so;pin-value=SECRET99"] {
            let mistyped = try token.bulla(["sign-blob", "blob.bin", "--key", uri, "--output-bundle", "w.json", "-o", "json"])
            #expect(mistyped.status != 0 && !(mistyped.stdout + mistyped.stderr).contains("SECRET99"), "\(mistyped.stdout)\(mistyped.stderr)")
        }
        // Only the PIN file's first line is the PIN.
        try "\(Self.pin)\nsecond line\n".write(toFile: "\(token.dir)/pin2", atomically: true, encoding: .utf8)
        let firstLine = try Command.run([Peers.bulla, "key", "id", "--key", token.uri("release") + "&pin-source=file://\(token.dir)/pin2"],
                                        in: token.dir, environment: ["SOFTHSM2_CONF": "\(token.dir)/softhsm2.conf"])
        #expect(firstLine.status == 0, "\(firstLine.stderr)")
    }

    /// A label or id already on the token is never used again for a new key, and a private key
    /// whose public key object does not pair up with it is refused, never published under the
    /// wrong key ID.
    @Test func keysAreNeverShadowedOrMispaired() throws {
        let token = try Token()
        defer { try? FileManager.default.removeItem(atPath: token.dir) }
        let made = try token.bulla(["key", "generate", "--pkcs11", "pkcs11:token=bulla-test;object=first;id=%0A%0B?module-path=\(Self.module)", "--output-prefix", "first"])
        #expect(made.status == 0, "\(made.stderr)")
        for uri in ["pkcs11:token=bulla-test;object=first;id=%99?module-path=\(Self.module)", "pkcs11:token=bulla-test;object=second;id=%0A%0B?module-path=\(Self.module)"] {
            let shadow = try token.bulla(["key", "generate", "--pkcs11", uri, "--output-prefix", "shadow"])
            #expect(shadow.status == 2 && shadow.stderr.contains("already has an object"), "\(uri): \(shadow.stderr)")
        }
        // Two pairs made by pkcs11-tool under one label, then each pair's other half deleted.
        let tool = ["pkcs11-tool", "--module", Self.module, "--token-label", "bulla-test", "--login", "--pin", Self.pin]
        for id in ["01", "02"] {
            try Command.succeed(tool + ["--keypairgen", "--key-type", "EC:prime256v1", "--label", "mixed", "--id", id], in: token.dir, environment: token.environment)
        }
        try Command.succeed(tool + ["--delete-object", "--type", "pubkey", "--id", "01"], in: token.dir, environment: token.environment)
        try Command.succeed(tool + ["--delete-object", "--type", "privkey", "--id", "02"], in: token.dir, environment: token.environment)
        let mixed = try token.bulla(["key", "public", "--key", token.uri("mixed")])
        #expect(mixed.status == 3 && mixed.stderr.contains("no public key object with the private key's id 01"), "\(mixed.stdout)\(mixed.stderr)")
        // The generated private key is for signing only.
        let objects = try Command.run(tool + ["--list-objects", "--type", "privkey"], in: token.dir, environment: token.environment)
        let lines = objects.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let first = try #require(lines.firstIndex(of: "label:      first"), "\(objects.stdout)")
        #expect(lines[first...].first { $0.hasPrefix("Usage:") } == "Usage:      sign", "\(objects.stdout)")
    }

    /// A module that lies about lengths and counts, or signs garbage, is refused with a reason:
    /// Bulla never reads past what it gave the module, and never publishes a signature that does
    /// not verify (Fixtures/pkcs11/hostile_module.c, built here with the system's C compiler).
    @Test(arguments: [("slots-grow", "reported 100000 slots"), ("attr-grow", "wrote 1048576 bytes"),
                      ("find-huge", "has more than one private key"), ("sign-huge", "-byte signature in 512 bytes"),
                      ("", "does not verify with its public key")])
    func aLyingModuleIsRefused(_ mode: String, _ reason: String) throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/pkcs11/hostile_module.c").path
        try Command.succeed(["cc", "-shared", "-fPIC", source, "-o", "\(dir)/hostile.so"])
        let result = try Command.run([Peers.bulla, "key", "id", "--key", "pkcs11:token=hostile;object=k?module-path=\(dir)/hostile.so"],
                                     in: dir, environment: ["HOSTILE": mode, "BULLA_PKCS11_PIN": "0000"])
        #expect(result.status != 0 && result.status < 64 && result.stderr.contains(reason), "\(mode): \(result.status) \(result.stderr)")
    }
}
