@testable import Bulla
import BullaCrypto
import Foundation
import Testing

/// The vectors of spec/keys.md and spec/signatures.md give the results their expected.json states.
@Suite struct KeySpecVectorTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let kind: String
        let passphrase: String?
        let algorithm: String?
        let keyID: String?
        let hint: String?
        let error: String?
        var testDescription: String { "\(file) \(passphrase ?? "-")" }
    }

    struct File: Decodable { let cases: [Case] }

    static let cases = (try? SpecVectors.load(File.self, "keys/expected.json").cases) ?? []

    @Test func thereAreVectors() { #expect(Self.cases.count >= 15) }

    @Test(arguments: cases)
    func keyFileGivesItsIDOrItsError(_ c: Case) throws {
        let pem = try SpecVectors.bytes("keys/\(c.file)")
        let open: () throws -> VerifyingKey = {
            if c.kind == "public" { return try VerifyingKey(pemRepresentation: pem) }
            return try SigningKey(pemRepresentation: pem, passphrase: c.passphrase.map(Passphrase.init)).publicKey
        }
        if let expected = c.error {
            let error = #expect(throws: BullaError.self) { try open() }
            #expect(error?.code.name == expected, "\(error?.message ?? "")")
            return
        }
        let key = try open()
        #expect(key.keyID == c.keyID)
        #expect(key.hint == c.hint)
        #expect(key.algorithm.rawValue == c.algorithm)
    }
}

@Suite struct SignatureSpecVectorTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        struct Check: Decodable, Sendable {
            let format: String
            let counted: Bool
            let reason: String
        }
        let kind: String
        let file: String?
        let bundle: String?
        let manifest: String?
        let payload: String?
        let signature: String?
        let identity: String?
        let reference: String?
        let requiredAnnotations: [String: String]?
        let verified: Bool
        let reason: String?
        let signatures: [Check]?
        var testDescription: String { [kind, bundle ?? payload ?? reference ?? "", file ?? manifest ?? "", identity ?? ""].joined(separator: " ") }
    }

    struct File: Decodable { let cases: [Case] }

    static let cases = (try? SpecVectors.load(File.self, "signatures/expected.json").cases) ?? []
    static let folder = SpecVectors.root.appendingPathComponent("signatures").path

    @Test func thereAreVectors() { #expect(Self.cases.count >= 15) }

    @Test(arguments: cases)
    func signatureGivesItsExpectedResult(_ c: Case) throws {
        let key = try VerifyingKey(pemRepresentation: try SpecVectors.bytes("signatures/key.pub"))
        let trust = TrustPolicy(keys: [key], requiredAnnotations: c.requiredAnnotations ?? [:], identity: c.identity)
        switch c.kind {
        case "blob":
            let (file, bundle) = ("\(Self.folder)/\(c.file!)", "\(Self.folder)/\(c.bundle!)")
            if c.verified {
                #expect(try Verifier().verify(fileAt: file, bundleAt: bundle, keys: [key]).keyID == key.keyID)
            } else {
                let error = #expect(throws: BullaError(.signatureInvalid)) {
                    try Verifier().verify(fileAt: file, bundleAt: bundle, keys: [key])
                }
                #expect(error?.message.contains(c.reason!) == true, "\(error?.message ?? "")")
            }
        case "image-bundle", "legacy":
            let image = Digest.compute(over: try SpecVectors.bytes("signatures/\(c.manifest!)"))
            let content: FoundSignature.Content
            if c.kind == "legacy" {
                let sig64 = String(decoding: try SpecVectors.bytes("signatures/\(c.signature!)"), as: UTF8.self)
                content = .legacy(payload: try SpecVectors.bytes("signatures/\(c.payload!)"), signature: try #require(Base64.decode(sig64)))
            } else {
                content = .bundle(try SigstoreBundle(bytes: try SpecVectors.bytes("signatures/\(c.bundle!)")))
            }
            let found = FoundSignature(origin: c.kind, format: c.kind == "legacy" ? .legacy : .bundle, content: content)
            let result = try ImageVerifier(trust: trust).verify(image, reference: c.manifest!, signatures: [found])
            #expect(result.verified == c.verified, "\(result.signatures.map(\.reason))")
            #expect(result.signatures.first?.reason.contains(c.reason!) == true, "\(result.signatures.map(\.reason))")
        case "layout":
            let reference = try ImageReference(parsing: c.reference!.replacingOccurrences(of: "oci:layout", with: "oci:\(Self.folder)/layout"))
            let verifier = Verifier()
            let result = try verifier.verify(try verifier.subject(reference), trust: trust)
            #expect(result.verified == c.verified)
            let expected = try #require(c.signatures)
            #expect(result.signatures.count == expected.count)
            for check in expected {
                #expect(result.signatures.contains { $0.format?.rawValue == check.format && $0.counted == check.counted && $0.reason.contains(check.reason) },
                        "\(check) in \(result.signatures)")
            }
        default:
            Issue.record("unknown vector kind \(c.kind)")
        }
    }
}
