import BullaCrypto
import Foundation
import Testing

/// spec/vectors/timestamps: RFC 3161 tokens made by make.sh with the openssl CLI; every case
/// marked "peer": "openssl" is judged the same by `openssl ts -verify` (make.sh --check), the
/// "bulla" ones are stricter than OpenSSL on purpose (a TSA certificate other than the
/// authority's own, trailing bytes, an authority with no certificates).
@Suite struct TimestampTests {
    struct Vectors: Decodable {
        let tokens: [Token]
        let cases: [Case]
    }

    struct Token: Decodable {
        let token: String
        let hashAlgorithm: String
        let messageImprint: String
        let generationTime: Int
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let token: String
        let message: String
        let chain: [String]
        let expect: String
        let stage: String?
        let reason: String?
        var testDescription: String { name }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("spec/vectors/timestamps")
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: folder.appendingPathComponent(name))) }
    static let vectors = try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))

    @Test func theVectorsAreThere() {
        #expect(Self.vectors.cases.count >= 20)
    }

    @Test(arguments: vectors.cases)
    func tokensVerifyOrSayWhy(_ vector: Case) throws {
        let der = try Self.bytes(vector.token)
        let message = try Self.bytes(vector.message)
        let chain = try vector.chain.map { try Certificate.certificates(pem: try Self.bytes($0))[0].derRepresentation }
        if vector.stage == "init" {
            let error = #expect(throws: BullaError.self) { try TimestampToken(derRepresentation: der) }
            #expect(error?.code.name == vector.expect && error?.message.contains(vector.reason ?? "") == true, "\(String(describing: error))")
            return
        }
        let token = try TimestampToken(derRepresentation: der)
        let stated = try #require(Self.vectors.tokens.first { $0.token == vector.token })
        #expect(token.generationTime == stated.generationTime)
        #expect(token.hashAlgorithm.rawValue == stated.hashAlgorithm)
        #expect(Hex.encode(token.messageImprint) == stated.messageImprint)
        if vector.expect == "ok" {
            #expect(try token.verify(over: message, chain: chain) == stated.generationTime)
        } else {
            let error = #expect(throws: BullaError.self) { try token.verify(over: message, chain: chain) }
            #expect(error?.code.name == vector.expect && error?.message.contains(vector.reason ?? "") == true, "\(String(describing: error))")
        }
    }
}

/// The OpenSSL peer judges the committed vectors as expected.json says: `openssl verify -attime`
/// for the certificate chains, `openssl ts -verify` for the timestamps (each make.sh's --check).
@Suite struct VectorPeerTests {
    @Test(arguments: ["certificates", "timestamps"])
    func openSSLAgreesWithTheVectors(_ folder: String) throws {
        let script = TimestampTests.folder.deletingLastPathComponent().appendingPathComponent("\(folder)/make.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script, "--check"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }
}
