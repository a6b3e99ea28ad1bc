import Foundation
import Testing

/// Keys cross between Bulla and the openssl CLI in both directions.
@Suite struct KeyInteropTests {
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "bulla-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sh(_ script: String, in directory: String) throws -> String {
        try Command.succeed(["bash", "-euo", "pipefail", "-c", script], in: directory)
    }

    @Test(arguments: ["ecdsa-p256", "ecdsa-p384", "ed25519"])
    func bullaKeysOpenInOpenSSLWithThePassphrase(_ algorithm: String) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try Peers.bulla("key", "generate", "--output-prefix", "k", "--algorithm", algorithm, in: dir, password: "pass phrase")
        #expect(made.status == 0, "\(made.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/k.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let key = try String(contentsOfFile: dir + "/k.key", encoding: .utf8)
        #expect(key.contains("BEGIN ENCRYPTED PRIVATE KEY"))
        #expect(!made.stdout.contains("PRIVATE"), "a key is never printed")
        let publicFromOpenSSL = try Self.sh("openssl pkey -in k.key -passin 'pass:pass phrase' -pubout", in: dir)
        #expect(publicFromOpenSSL == (try String(contentsOfFile: dir + "/k.pub", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try Command.run(["openssl", "pkey", "-in", "k.key", "-passin", "pass:wrong", "-noout"], in: dir).status != 0)
        let scheme = try Self.sh("openssl asn1parse -in k.key | grep -c -E ':(scrypt|aes-256-cbc) *$'", in: dir)
        #expect(scheme == "2", "PBES2 with scrypt and AES-256-CBC")
    }

    static let openSSLKeys = [
        ("sec1-p256", "openssl ecparam -name prime256v1 -genkey -noout -out key.pem"),
        ("pkcs8-p256", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem"),
        ("pkcs8-p384", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out key.pem"),
        ("ed25519", "openssl genpkey -algorithm ed25519 -out key.pem"),
        ("encrypted-pbkdf2", "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:pass -out key.pem"),
        ("encrypted-scrypt", "openssl genpkey -algorithm ed25519 -out plain.pem && openssl pkcs8 -topk8 -scrypt -in plain.pem -passout pass:pass -out key.pem"),
    ]

    @Test(arguments: openSSLKeys)
    func openSSLKeysOpenInBullaWithTheSameKeyID(_ name: String, _ make: String) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.sh(make, in: dir)
        let expected = try Self.sh("openssl pkey -in key.pem -passin pass:pass -pubout -outform DER | sha256sum | cut -d' ' -f1", in: dir)
        let id = try Peers.bulla("key", "id", "--key", "key.pem", in: dir, password: "pass")
        #expect(id.status == 0, "\(name): \(id.stderr)")
        #expect(id.out == expected, "\(name)")
        _ = try Self.sh("openssl pkey -in key.pem -passin pass:pass -pubout -out key.pub", in: dir)
        #expect(try Peers.bulla("key", "id", "--key", "key.pub", in: dir).out == expected)
    }

    @Test(arguments: [
        ("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem", "RSA keys are not supported"),
        ("openssl ecparam -name secp256k1 -genkey -noout -out key.pem", "secp256k1 is not supported"),
        ("openssl ecparam -name secp224r1 -genkey -noout -out key.pem", "secp224r1 is not supported"),
        ("openssl genpkey -algorithm ed448 -out key.pem", "ED448 keys are not supported"),
        ("openssl ecparam -name prime256v1 -genkey -noout -param_enc explicit -out key.pem", "explicit curve parameters or a compressed point"),
        ("openssl ecparam -name prime256v1 -genkey -noout -out p.pem && openssl ec -in p.pem -conv_form compressed -out key.pem", "explicit curve parameters or a compressed point"),
    ])
    func weakOrForeignKeysAreRefusedByName(_ make: String, _ message: String) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.sh(make, in: dir)
        let result = try Peers.bulla("key", "id", "--key", "key.pem", in: dir)
        #expect(result.status == 3)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    // MARK: cosign keys

    static let cosignKeyMaker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/make_cosign_key.py").path
    static let keyVectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("spec/vectors/keys").path

    /// Runs `bulla key import-cosign` with the cosign key's passphrase in COSIGN_PASSWORD and the
    /// new key's in BULLA_PASSWORD.
    static func importCosign(_ arguments: [String], in dir: String, cosign: String, bulla: String = "new pass") throws -> Command.Result {
        try Command.run([Peers.bulla, "key", "import-cosign"] + arguments, in: dir, environment: ["COSIGN_PASSWORD": cosign, "BULLA_PASSWORD": bulla])
    }

    /// A key made in cosign's format (by make_cosign_key.py, from the format's definition, with
    /// PyNaCl and hashlib's scrypt) imports with its key ID; the imported key signs a blob that
    /// openssl and `verify-blob` accept under the original public key cosign would have written.
    @Test(arguments: [("p256", "sigstore"), ("p384", "cosign"), ("ed25519", "sigstore")])
    func cosignKeysImportAndSignForTheirOriginalPublicKey(_ algorithm: String, _ type: String) throws {
        let verify = [
            "p256": "openssl dgst -sha256 -verify cosign.pub -signature sig blob.bin",
            "p384": "openssl dgst -sha384 -verify cosign.pub -signature sig blob.bin",
            "ed25519": "openssl pkeyutl -verify -pubin -inkey cosign.pub -rawin -in blob.bin -sigfile sig",
        ][algorithm]!
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = try Command.succeed(["python3", Self.cosignKeyMaker, dir, "cosign pass", "--algorithm", algorithm, "--type", type])
        // Bulla's own key loading refuses the file and says how to import it.
        let refused = try Peers.bulla("sign-blob", "cosign.pub", "--key", "cosign.key", "--output-bundle", "x.json", in: dir)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("cosign.key: this is a cosign key: run `bulla key import-cosign cosign.key --output-prefix NEW`"), "\(refused.stderr)")

        let imported = try Self.importCosign(["cosign.key", "--output-prefix", "imported"], in: dir, cosign: "cosign pass")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("key ID \(id)"), "\(imported.stdout)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/imported.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: dir + "/imported.key", encoding: .utf8).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try Peers.bulla("key", "id", "--key", "imported.pub", in: dir).out == id)
        #expect(try Peers.bulla("key", "id", "--key", "imported.key", in: dir, password: "new pass").out == id)
        let again = try Self.importCosign(["cosign.key", "--output-prefix", "imported"], in: dir, cosign: "cosign pass")
        #expect(again.status == 2 && again.stderr.contains("imported.key exists; pass --force to replace it"), "\(again.stderr)")

        _ = try Self.sh("head -c 100000 /dev/urandom > blob.bin", in: dir)
        let signed = try Peers.bulla("sign-blob", "blob.bin", "--key", "imported.key", "--output-bundle", "b.json", in: dir, password: "new pass")
        #expect(signed.status == 0, "\(signed.stderr)")
        _ = try Self.sh("python3 -c \"import json,base64; open('sig','wb').write(base64.b64decode(json.load(open('b.json'))['messageSignature']['signature']))\"", in: dir)
        #expect(try Command.run(["bash", "-c", verify], in: dir).status == 0, "openssl verifies with cosign's public key")
        let verified = try Peers.bulla("verify-blob", "blob.bin", "--key", "cosign.pub", "--bundle", "b.json", in: dir)
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }

    /// One refusal of `key import-cosign`: the script's flags, the cosign passphrase given, and
    /// the exit status and message expected.
    struct CosignRefusal: Sendable, CustomTestStringConvertible {
        let flags: [String]
        let passphrase: String
        let status: Int32
        let message: String
        var testDescription: String { flags.isEmpty ? "wrong passphrase" : flags.joined(separator: " ") }
    }

    /// A tampered tag and a wrong passphrase fail the same Poly1305 check and cannot be told
    /// apart; the bounds refuse before scrypt runs, naming the field.
    @Test(arguments: [
        CosignRefusal(flags: [], passphrase: "not the passphrase", status: 3,
                      message: "cosign.key: cannot decrypt the cosign private key: wrong passphrase (or the file was changed: its Poly1305 tag does not match) (the passphrase from COSIGN_PASSWORD)"),
        CosignRefusal(flags: ["--tamper", "tag"], passphrase: "cosign pass", status: 3, message: "wrong passphrase (or the file was changed"),
        CosignRefusal(flags: ["--tamper", "ciphertext"], passphrase: "cosign pass", status: 3, message: "wrong passphrase (or the file was changed"),
        CosignRefusal(flags: ["--kdf-n", "huge"], passphrase: "cosign pass", status: 3,
                      message: "cosign.key: kdf.params.N is 2147483648, over Bulla's limit of 1048576"),
        CosignRefusal(flags: ["--kdf-n", "1000"], passphrase: "cosign pass", status: 3, message: "kdf.params.N is 1000: scrypt's N is a power of two"),
        CosignRefusal(flags: ["--wrong-cipher"], passphrase: "cosign pass", status: 3, message: "cipher.name is \"nacl/secretbox-xchacha20\""),
    ])
    func hostileCosignKeysAreRefusedByName(_ refusal: CosignRefusal) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed(["python3", Self.cosignKeyMaker, dir, "cosign pass"] + refusal.flags)
        let started = Date()
        let result = try Self.importCosign(["cosign.key", "--output-prefix", "imported"], in: dir, cosign: refusal.passphrase)
        #expect(result.status == refusal.status)
        #expect(result.stderr.contains(refusal.message), "\(result.stderr)")
        #expect(!result.stderr.contains(refusal.passphrase), "the passphrase is never printed")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(!FileManager.default.fileExists(atPath: dir + "/imported.key"), "a refusal writes nothing")
    }

    /// spec/vectors/keys/cosign-p256.key imports with the key ID of its public key.
    @Test func cosignVectorImportsWithItsKeyID() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imported = try Self.importCosign(["\(Self.keyVectors)/cosign-p256.key", "--output-prefix", "imported"], in: dir, cosign: "public-test-vector-passphrase")
        #expect(imported.status == 0, "\(imported.stderr)")
        let expected = try Peers.bulla("key", "id", "--key", "\(Self.keyVectors)/cosign-p256.pub").out
        #expect(expected == "582de60ccfa925a03c3844a539527d61d5cff1c1e995f25043fc25107e977ff4", "expected.json's key ID")
        #expect(imported.stdout.hasSuffix("ecdsa-p256 key ID \(expected)\n"), "\(imported.stdout)")
    }
}
