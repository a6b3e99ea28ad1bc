import BullaCrypto
import Foundation
import Testing

/// Every Wycheproof vector for the three algorithms gives its expected result through
/// `VerifyingKey.isValidSignature`, the primitive every signature check in Bulla goes through.
@Suite struct WycheproofTests {
    struct File: Decodable {
        struct Group: Decodable {
            let publicKeyDer: String
            let tests: [Test]
        }
        struct Test: Decodable {
            let tcId: Int
            let comment: String
            let msg: String
            let sig: String
            let result: String
        }
        let algorithm: String
        let numberOfTests: Int
        let testGroups: [Group]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test(arguments: [
        ("ecdsa_secp256r1_sha256_test.json", KeyAlgorithm.ecdsaP256),
        ("ecdsa_secp384r1_sha384_test.json", .ecdsaP384),
        ("ed25519_test.json", .ed25519),
    ])
    func everyVectorGivesItsExpectedResult(file name: String, algorithm: KeyAlgorithm) throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        var counts = (valid: 0, invalid: 0, keysRefused: 0)
        for group in file.testGroups {
            let der = try #require(Hex.decodeLowercase(Array(group.publicKeyDer.utf8)))
            let key = try VerifyingKey(derRepresentation: der)
            #expect(key.algorithm == algorithm)
            for test in group.tests {
                let message = try #require(Hex.decodeLowercase(Array(test.msg.utf8)))
                let signature = try #require(Hex.decodeLowercase(Array(test.sig.utf8)))
                let verified = key.isValidSignature(signature, for: message)
                #expect(verified == (test.result == "valid"), "tcId \(test.tcId) \(test.comment): got \(verified), want \(test.result)")
                if let hash = algorithm.digest {
                    // The pre-hashed path (a reused OpenSSL context) must agree on every vector.
                    let viaDigest = key.isValidSignature(signature, forDigest: Digest.compute(hash, over: message))
                    #expect(viaDigest == verified, "tcId \(test.tcId): digest path says \(viaDigest)")
                }
                if test.result == "valid" { counts.valid += 1 } else { counts.invalid += 1 }
            }
        }
        #expect(counts.valid + counts.invalid == file.numberOfTests)
        print("wycheproof \(name): \(counts.valid) valid and \(counts.invalid) invalid vectors checked, \(file.numberOfTests) in the file")
    }
}
