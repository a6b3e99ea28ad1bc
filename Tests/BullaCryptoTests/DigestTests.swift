import BullaCrypto
import Foundation
import Testing

/// Vectors live in spec/vectors/, beside the format pages they illustrate.
enum SpecVectors {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("spec/vectors")

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(name)))
    }
}

struct HashVector: Decodable, Sendable, CustomTestStringConvertible {
    let algorithm: String
    let input_hex: String
    let input_repeat: Int?
    let digest: String
    var testDescription: String { "\(algorithm) of \(input_hex.prefix(16))×\(input_repeat ?? 1)" }

    var input: [UInt8] {
        let unit = Hex.decodeLowercase(Array(input_hex.lowercased().utf8)) ?? []
        return Array([[UInt8]](repeating: unit, count: input_repeat ?? 1).joined())
    }
}

struct ParseVector: Decodable, Sendable, CustomTestStringConvertible {
    let text: String
    let valid: Bool
    let code: String?
    var testDescription: String { text.debugDescription }
}

struct DigestVectors: Decodable {
    let hashes: [HashVector]
    let parse: [ParseVector]
    static let all = try! SpecVectors.load(DigestVectors.self, "digests.json")
}

@Suite struct DigestTests {
    @Test(arguments: DigestVectors.all.hashes)
    func oneShotMatchesVector(_ vector: HashVector) throws {
        let algorithm = try #require(DigestAlgorithm(rawValue: vector.algorithm))
        #expect(Digest.compute(algorithm, over: vector.input).description == vector.digest)
    }

    @Test(arguments: DigestVectors.all.hashes)
    func streamingMatchesOneShotInEveryChunking(_ vector: HashVector) throws {
        let algorithm = try #require(DigestAlgorithm(rawValue: vector.algorithm))
        let input = vector.input
        // Byte-at-a-time only for short inputs: a million single-byte updates is slow in debug.
        for chunk in [1, 7, 64, 4096, 1 << 20] where chunk > 1 || input.count <= 4096 {
            var hasher = StreamingDigest(algorithm)
            var offset = 0
            while offset < input.count {
                hasher.update(input[offset..<min(offset + chunk, input.count)])
                offset += chunk
            }
            #expect(hasher.finalize().description == vector.digest, "chunk size \(chunk)")
        }
    }

    @Test(arguments: DigestVectors.all.parse)
    func parsing(_ vector: ParseVector) throws {
        if vector.valid {
            let digest = try Digest(parsing: vector.text)
            #expect(digest.description == vector.text, "canonical form round-trips")
        } else {
            let error = #expect(throws: BullaError.self) { try Digest(parsing: vector.text) }
            #expect(error?.code.name == vector.code, "\(error?.message ?? "")")
        }
    }

    @Test func parsedDigestsCompareOnBytes() throws {
        let text = "sha256:" + String(repeating: "ab", count: 32)
        let a = try Digest(parsing: text)
        let b = try Digest(algorithm: .sha256, bytes: [UInt8](repeating: 0xAB, count: 32))
        #expect(a == b)
        #expect(a != (try Digest(algorithm: .sha256, bytes: [UInt8](repeating: 0xAB, count: 31) + [0xAC])))
        #expect(throws: BullaError(.malformedInput)) { try Digest(algorithm: .sha512, bytes: a.bytes) }
    }

    @Test func copiesOfAPartialHashFinishIndependently() {
        var base = StreamingDigest(.sha256)
        base.update(Array("ab".utf8))
        var left = base
        var right = base
        left.update(Array("c".utf8))
        right.update(Array("x".utf8))
        #expect(left.finalize() == Digest.compute(over: Array("abc".utf8)))
        #expect(right.finalize() == Digest.compute(over: Array("abx".utf8)))
        #expect(base.finalize() == Digest.compute(over: Array("ab".utf8)))
    }

    @Test func digestRoundTripsThroughJSON() throws {
        let digest = Digest.compute(over: Array("abc".utf8))
        let data = try JSONEncoder().encode([digest])
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
        #expect(throws: BullaError.self) { try JSONDecoder().decode([Digest].self, from: Data(#"["sha256:ABC"]"#.utf8)) }
    }
}

@Suite struct FileDigesterTests {
    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "bulla-digest-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [0, 1, 4095, 1 << 20, (1 << 20) + 17, 3 << 20])
    func fileDigestEqualsOneShot(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try FileDigester(bufferSize: 64 << 10).digest(ofFileAt: path)
        #expect(result.size == Int64(size))
        #expect(result.digest == Digest.compute(over: bytes))
    }

    @Test func progressCountsEveryByte() throws {
        let path = try temporaryFile([UInt8](repeating: 1, count: 300_000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        nonisolated(unsafe) var seen = 0
        _ = try FileDigester(bufferSize: 4096).digest(ofFileAt: path) { seen += $0 }
        #expect(seen == 300_000)
    }

    @Test func refusesPastTheLimitAndNamesMissingFiles() throws {
        let path = try temporaryFile([UInt8](repeating: 1, count: 10))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: BullaError(.limitExceeded)) { try FileDigester().digest(ofFileAt: path, limit: 9) }
        let error = #expect(throws: BullaError(.notFound)) { try FileDigester().digest(ofFileAt: path + ".missing") }
        #expect(error?.message.contains(".missing") == true)
    }
}
