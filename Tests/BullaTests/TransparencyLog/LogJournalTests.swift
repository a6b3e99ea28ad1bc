import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// The journal in front of a log: what is appended reads back and folds into the tree in order;
/// a write cut short is dropped and reported, zeros allocated ahead are not; a journal that
/// would make the log's indices lie (a gap, a torn segment followed by another, a foreign
/// header) is refused by name; and the spec's vector folds onto the example log.
@Suite struct LogJournalTests {
    static func log() throws -> (TransparencyLog, String, SigningKey) {
        let dir = try TransparencyLogTests.directory()
        return (try TransparencyLog.create(at: dir, origin: "bulla.test/journal"), dir, try SigningKey.generate(.ed25519))
    }

    static func entries(_ range: Range<Int>) -> [[UInt8]] { range.map { Array("decision \($0)".utf8) } }

    static func segments(_ dir: String) throws -> [LogJournal.Segment] {
        try LogJournal.bases(of: dir).map { try LogJournal.segment(of: dir, base: $0) }
    }

    @Test func journaledEntriesReadBackAndFold() throws {
        let (log, dir, key) = try Self.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try log.append(Self.entries(0..<3))
        let journal = try LogJournal(log: dir, base: log.size)
        #expect(try journal.append(Self.entries(3..<5)) == 3..<5)
        #expect(try journal.append(Self.entries(5..<6)) == 5..<6)
        #expect(throws: BullaError.self) { try journal.append([[UInt8](repeating: 1, count: 65_536)]) }
        #expect(throws: BullaError.self) { try journal.append([[]]) }

        let segments = try Self.segments(dir)
        #expect(segments.count == 1 && segments[0].base == 3 && segments[0].entries == Self.entries(3..<6))
        #expect(segments[0].tornBytes == 0, "the zeros allocated ahead are not a torn write")
        #expect(try log.journaledEntries() == 3)

        let fold = try log.foldJournal(with: key)
        #expect(fold.added == 3 && fold.tornBytes == 0)
        #expect(log.size == 6 && log.root == MerkleTree(leaves: Self.entries(0..<6).map { MerkleHash.leaf($0) }).root())
        #expect(try Self.segments(dir).isEmpty, "a segment the tree covers is removed")
        let audit = try LogAuditor(log: log).audit(verifier: try NoteVerifier(name: "bulla.test/journal", key: key.publicKey))
        #expect(audit.size == 6)
        // Folding again adds nothing.
        #expect(try log.foldJournal(with: key).added == 0)
    }

    @Test func aWriteCutShortIsDroppedAndReported() throws {
        let (log, dir, key) = try Self.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try LogJournal(log: dir, base: 0)
        try journal.append(Self.entries(0..<4))
        // A fifth record cut short in the middle, with zeros allocated after it.
        let path = journal.path
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let end = 24 + Self.entries(0..<4).reduce(0) { $0 + 4 + $1.count + 32 }
        #expect(bytes[end...].allSatisfy { $0 == 0 })
        var torn = bytes
        torn.replaceSubrange(end..<end + 9, with: [0, 0, 0, 10] + Array("decis".utf8))
        try Data(torn).write(to: URL(fileURLWithPath: path))
        let fold = try log.foldJournal(with: key)
        #expect(fold.added == 4 && fold.tornBytes == 9)
        #expect(log.size == 4)

        // A record whose hash does not match is cut short too.
        let next = try LogJournal(log: dir, base: 4)
        try next.append(Self.entries(4..<6))
        var flipped = try [UInt8](Data(contentsOf: URL(fileURLWithPath: next.path)))
        flipped[24 + 4 + Self.entries(4..<5)[0].count + 32 + 4] ^= 1
        try Data(flipped).write(to: URL(fileURLWithPath: next.path))
        let segment = try #require(try Self.segments(dir).first)
        #expect(segment.entries == Self.entries(4..<5) && segment.tornBytes == 4 + 10 + 32)
    }

    @Test func aJournalThatWouldMakeIndicesLieIsRefused() throws {
        let (log, dir, key) = try Self.log()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A gap: the segment starts past the tree.
        try LogJournal(log: dir, base: 2).append(Self.entries(2..<3))
        #expect(performing: { try log.foldJournal(with: key) },
                throws: { ($0 as? BullaError)?.message.contains("starts at entry 2, but the log holds only 0") == true })
        try FileManager.default.removeItem(atPath: "\(dir)/journal")

        // Segments that do not follow each other.
        try LogJournal(log: dir, base: 0).append(Self.entries(0..<2))
        try LogJournal(log: dir, base: 3).append(Self.entries(3..<4))
        #expect(performing: { try log.foldJournal(with: key) },
                throws: { ($0 as? BullaError)?.message.contains("starts at entry 3; the one before it ends at 2") == true })
        try FileManager.default.removeItem(atPath: "\(dir)/journal")

        // A damaged record in a segment with a newer one after it: acknowledged entries would
        // be lost, and the newer segment no longer follows on.
        let older = try LogJournal(log: dir, base: 0)
        try older.append(Self.entries(0..<2))
        try LogJournal(log: dir, base: 2).append(Self.entries(2..<3))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: older.path)))
        bytes[30] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: older.path))
        #expect(performing: { try log.foldJournal(with: key) },
                throws: { ($0 as? BullaError)?.message.contains("starts at entry 2; the one before it ends at 0") == true })
        try FileManager.default.removeItem(atPath: "\(dir)/journal")

        // Entries the tree holds differently: another writer appended where the journal had.
        try log.append(Self.entries(100..<102))
        try LogJournal(log: dir, base: 0).append(Self.entries(0..<3))
        #expect(performing: { try log.foldJournal(with: key) },
                throws: { ($0 as? BullaError)?.message.contains("holds another entry 0 than the log's tree") == true })
        try FileManager.default.removeItem(atPath: "\(dir)/journal")

        // Not a journal segment.
        try FileManager.default.createDirectory(atPath: "\(dir)/journal", withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 40).write(to: URL(fileURLWithPath: "\(dir)/journal/00000000000000000000"))
        #expect(performing: { try log.foldJournal(with: key) }, throws: { ($0 as? BullaError)?.message.contains("is not a journal segment") == true })
        #expect(log.size == 2, "nothing was appended from a journal that was refused")
    }

    /// While the journal holds entries the tree lacks, their indices are taken: any other
    /// writer is refused until the journal is folded. A segment whose header never reached the
    /// disk (zeros) holds nothing acknowledged.
    @Test func otherWritersWaitForTheJournalToBeFolded() throws {
        let dir = try TransparencyLogTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try SigningKey.generate(.ed25519)
        do {
            let log = try TransparencyLog.create(at: dir, origin: "bulla.test/journal")
            try log.append(Self.entries(0..<1))
        }
        try LogJournal(log: dir, base: 1).append(Self.entries(1..<3))
        try Data(count: 4096).write(to: URL(fileURLWithPath: "\(dir)/journal/00000000000000000003"))
        #expect(performing: { try TransparencyLog(opening: dir, forWriting: true) },
                throws: { ($0 as? BullaError)?.message.contains("has 2 journaled entries its tree does not hold yet") == true })
        #expect(try TransparencyLog(opening: dir, forWriting: false).journaledEntries() == 2)

        let log = try TransparencyLog(opening: dir, forWriting: true, foldsJournal: true)
        #expect(try log.foldJournal(with: key).added == 2)
        #expect(log.size == 3 && log.root == MerkleTree(leaves: Self.entries(0..<3).map { MerkleHash.leaf($0) }).root())
        #expect(try LogJournal.bases(of: dir).isEmpty, "the segment whose header never reached the disk is covered and removed")
    }

    /// spec/vectors/log/journal: a segment written from the spec's text alone (not by Bulla),
    /// overlapping the example log's last two entries, with a torn record and zeros after it.
    @Test func theSpecVectorFoldsOntoTheExampleLog() throws {
        struct Vector: Decodable {
            var segment: String
            var base: UInt64
            var entries: [String]
            var tornBytes: Int
            var foldedOnto: String
            var sizeAfterFold: UInt64
            var rootAfterFold: String
        }
        let vector = try SpecVectors.load(Vector.self, "log/journal.json")
        let dir = try TransparencyLogTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(at: SpecVectors.root.appendingPathComponent(vector.foldedOnto), to: URL(fileURLWithPath: dir))
        try FileManager.default.createDirectory(atPath: "\(dir)/journal", withIntermediateDirectories: true)
        let name = String(vector.segment.split(separator: "/").last!)
        try FileManager.default.copyItem(at: SpecVectors.root.appendingPathComponent(vector.segment), to: URL(fileURLWithPath: "\(dir)/journal/\(name)"))

        let segments = try Self.segments(dir)
        #expect(segments.count == 1 && segments[0].base == vector.base)
        #expect(segments[0].entries == vector.entries.map { Array($0.utf8) })
        #expect(segments[0].tornBytes == vector.tornBytes)

        let log = try TransparencyLog(opening: dir, forWriting: true, foldsJournal: true)
        var passphrase = Array("example-only-not-secret".utf8)
        let keyFile = SpecVectors.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("keys-example/ed25519.key").path
        let key = try KeyFile.signingKey(keyFile, passphrase: { Passphrase(consuming: &passphrase) })
        let fold = try log.foldJournal(with: key)
        #expect(fold.added == 3 && fold.tornBytes == vector.tornBytes)
        #expect(log.size == vector.sizeAfterFold && Hex.encode(log.root) == vector.rootAfterFold)
        #expect(try LogAuditor(log: log).audit(verifier: try NoteVerifier(name: "bulla.example/log", key: key.publicKey)).size == vector.sizeAfterFold)
    }
}
