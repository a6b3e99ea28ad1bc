@testable import Bulla
import BullaCrypto
import Testing

@Suite struct ArchivePathTests {
    @Test(arguments: [
        ("index.json", "index.json"),
        ("./index.json", "index.json"),
        ("blobs//sha256/./ab", "blobs/sha256/ab"),
        ("blobs/", "blobs"),
    ])
    func namesNormalise(raw: String, expected: String) throws {
        #expect(try ArchivePath.normalize(Array(raw.utf8), in: "t.tar") == expected)
    }

    @Test(arguments: [
        ("../evil", BullaError.Code.unsafeArchive, "path traversal"),
        ("blobs/../../evil", .unsafeArchive, "path traversal"),
        ("/etc/passwd", .unsafeArchive, "absolute path"),
        ("", .malformedInput, "no name"),
    ])
    func unsafeNamesAreRefused(raw: String, code: BullaError.Code, says: String) {
        let error = #expect(throws: BullaError(code)) { try ArchivePath.normalize(Array(raw.utf8), in: "t.tar") }
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
    }

    @Test func nonUTF8NamesAreRefused() {
        let error = #expect(throws: BullaError(.malformedInput)) { try ArchivePath.normalize([0x62, 0xFF, 0xFE], in: "t.tar") }
        #expect(error?.message.contains("not valid UTF-8") == true)
    }

    @Test(arguments: [
        ("a/b/layer.tar", "../c.tar", false, "a/c.tar"),
        ("x/layer.tar", "../blobs/sha256/ab", false, "blobs/sha256/ab"),
        ("link", "./target", false, "target"),
        ("a/b", "c/d", true, "c/d"),
    ])
    func linksResolveInsideTheArchive(name: String, target: String, hard: Bool, expected: String) throws {
        #expect(try ArchivePath.resolveLink(Array(target.utf8), from: name, hard: hard, in: "t.tar") == expected)
    }

    @Test(arguments: [
        ("layer.tar", "../../etc/passwd", false),
        ("a/layer.tar", "../../x", false),
        ("a", "/etc/passwd", false),
        ("a", "/etc/passwd", true),
        ("a", "../outside", true),
    ])
    func escapingLinksAreRefused(name: String, target: String, hard: Bool) {
        let error = #expect(throws: BullaError(.unsafeArchive)) {
            try ArchivePath.resolveLink(Array(target.utf8), from: name, hard: hard, in: "t.tar")
        }
        #expect(error?.message.contains("points outside the archive") == true)
    }

    @Test func blobAlgorithmFollowsThePath() {
        #expect(ArchivePath.algorithm(for: "blobs/sha512/ab") == .sha512)
        #expect(ArchivePath.algorithm(for: "blobs/sha256/ab") == .sha256)
        #expect(ArchivePath.algorithm(for: "manifest.json") == .sha256)
    }
}
