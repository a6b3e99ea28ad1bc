import BullaCrypto
import Foundation
import Testing

@Suite struct KeyTests {
    @Test(arguments: KeyAlgorithm.allCases)
    func generatedKeysSignAndVerifyAndSurviveTheirPEM(_ algorithm: KeyAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        #expect(key.algorithm == algorithm)
        let message = Array("the exact signed bytes".utf8)
        let signature = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))

        let pem = try key.pemRepresentation(passphrase: Passphrase("correct horse"))
        #expect(String(decoding: pem, as: UTF8.self).contains("BEGIN ENCRYPTED PRIVATE KEY"))
        let reloaded = try SigningKey(pemRepresentation: pem, passphrase: Passphrase("correct horse"))
        #expect(reloaded.publicKey == key.publicKey)
        #expect(key.publicKey.isValidSignature(try reloaded.signature(for: message), for: message))

        let publicKey = try VerifyingKey(pemRepresentation: key.publicKey.pemRepresentation)
        #expect(publicKey == key.publicKey)
        #expect(publicKey.algorithm == algorithm)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: message + [0]))
        #expect(publicKey.keyID == Digest.compute(over: publicKey.derRepresentation).hex)
        #expect(Base64.decode(publicKey.hint) == Digest.compute(over: publicKey.derRepresentation).bytes)
    }

    @Test func anEncryptedKeyNeedsTheRightPassphrase() throws {
        let pem = try SigningKey.generate().pemRepresentation(passphrase: Passphrase("right"))
        #expect(throws: BullaError(.passphraseRequired)) { try SigningKey(pemRepresentation: pem, passphrase: nil) }
        #expect(throws: BullaError(.wrongPassphrase)) { try SigningKey(pemRepresentation: pem, passphrase: Passphrase("wrong")) }
    }

    @Test func descriptionsNeverShowSecrets() throws {
        let key = try SigningKey.generate()
        #expect(!key.description.contains("PRIVATE"))
        let passphrase = Passphrase("hunter2")
        #expect(!passphrase.description.contains("hunter2"))
        #expect(!"\(passphrase)".contains("hunter2"))
    }

    @Test(arguments: ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
    func garbageIsRefusedAsMalformed(_ text: String) {
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(pemRepresentation: text) }
        #expect(throws: BullaError(.malformedInput)) { try SigningKey(pemRepresentation: Array(text.utf8), passphrase: nil) }
    }

    @Test func derWithTrailingBytesIsRefused() throws {
        let der = try SigningKey.generate().publicKey.derRepresentation
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(derRepresentation: der + [0]) }
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(derRepresentation: Array(der.dropLast())) }
    }

    /// The standard encodings are read without OpenSSL's decoder; the provider still refuses a
    /// point that is not on the curve, and the hybrid form is not taken for the standard one.
    @Test(arguments: [KeyAlgorithm.ecdsaP256, .ecdsaP384])
    func pointsOffTheCurveAndHybridPointsAreRefused(_ algorithm: KeyAlgorithm) throws {
        let der = try SigningKey.generate(algorithm).publicKey.derRepresentation
        var offCurve = der
        offCurve[offCurve.count - 1] ^= 0x01
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(derRepresentation: offCurve) }
        var hybrid = der
        let pointStart = der.count - (algorithm == .ecdsaP256 ? 65 : 97)
        hybrid[pointStart] = 0x06 | (der.last! & 1)
        #expect(throws: BullaError(.unsupported)) { try VerifyingKey(derRepresentation: hybrid) }
        var prefixed = der
        prefixed[pointStart] = 0x02
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(derRepresentation: prefixed) }

        // The same keys in a loose DER (the outer length in long form): the hybrid point is still
        // refused by name, and the uncompressed one as not DER's one encoding, so no key has a
        // second key ID.
        func loose(_ der: [UInt8]) -> [UInt8] { [0x30, 0x81] + der.dropFirst(1) }
        #expect(throws: BullaError(.unsupported)) { try VerifyingKey(derRepresentation: loose(hybrid)) }
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(derRepresentation: loose(der)) }
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64FollowsRFC4648(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg", "Zg=", "Zh==", "Zm9=", "Z===", "Zm9v\n", " Zm9v", "Zm-v", "Zg==Zg=="])
    func nonCanonicalBase64IsRefused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

@Suite struct PassphraseTests {
    @Test func takesTheBytesAndZeroesTheSource() {
        var source = Array("s3cret".utf8)
        let passphrase = Passphrase(consuming: &source)
        #expect(source.isEmpty)
        #expect(passphrase.count == 6)
        #expect(passphrase.withBytes { Array($0) } == Array("s3cret".utf8))
    }
}

@Suite struct PEMTests {
    @Test func publicKeyPEMIsReadStrictly() throws {
        let key = try SigningKey.generate().publicKey
        let padded = PEM.encode(key.derRepresentation + [0x00], label: "PUBLIC KEY")
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(pemRepresentation: padded) }
        let twice = key.pemRepresentation + key.pemRepresentation
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(pemRepresentation: twice) }
        let unterminated = String(key.pemRepresentation.split(separator: "\n").dropLast().joined(separator: "\n"))
        #expect(throws: BullaError(.malformedInput)) { try VerifyingKey(pemRepresentation: unterminated) }
        // Text around the block and CRLF line ends are fine.
        let wrapped = "a comment\r\n" + key.pemRepresentation.replacingOccurrences(of: "\n", with: "\r\n") + "trailer\n"
        #expect(try VerifyingKey(pemRepresentation: wrapped) == key)
    }
}
