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
}
