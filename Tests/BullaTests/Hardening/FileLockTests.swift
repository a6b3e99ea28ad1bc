@testable import Bulla
import BullaCrypto
import Foundation
import Testing

/// One writer at a time, and a wait that ends: a second writer of a layout or a log is told
/// who holds it instead of hanging, and gets the lock once it is let go.
@Suite struct FileLockTests {
    @Test func aHeldLockIsRefusedAsBusyAfterTheWaitAndFreedWithItsHolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var holder: FileLock? = try FileLock(directory, directory: true, held: "unused")
        let started = ContinuousClock.now
        let error = #expect(throws: BullaError.self) {
            try FileLock(directory, directory: true, waiting: .milliseconds(300), held: "\(directory) is held by the first writer")
        }
        #expect(error?.code == .busy)
        #expect(error?.message == "\(directory) is held by the first writer")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(ContinuousClock.now - started < .seconds(30))
        _ = holder
        holder = nil
        _ = try FileLock(directory, directory: true, held: "unused")
    }

    @Test func aLockFileIsMadeWhenMissing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulla-lockfile-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lock = try FileLock(path, held: "unused")
        #expect(FileManager.default.fileExists(atPath: path))
        _ = lock
    }
}
