import Bulla
import Foundation
import Testing

/// Crash safety: a writer appending line by line is SIGKILLed at random moments, 200 times.
/// After every kill each acknowledged entry is in the log at its index with its bytes, the log
/// reopens for writing (the lock died with the writer), and every twentieth round a checkpoint
/// is signed (consistent with the last) and the whole log audited.
@Suite struct LogCrashTests {
    @Test func twoHundredKillsLoseNoAcknowledgedEntry() throws {
        let dir = try SignatureInteropTests.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Peers.bulla("log", "init", "lg", "--origin", "bulla.test/crash", in: dir).status == 0)
        var acknowledged: [UInt64: String] = [:]
        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        for round in 0..<200 {
            let input = (0..<2000).map { "round \(round) entry \($0)" }.joined(separator: "\n") + "\n"
            try input.write(toFile: "\(dir)/in", atomically: true, encoding: .utf8)
            let delay = Int.random(in: 5_000...60_000, using: &generator)
            _ = try KeyInteropTests.sh(
                "'\(Peers.bulla)' log append lg --lines < in > acks 2>/dev/null & pid=$!; sleep \(String(format: "0.%06d", delay)); kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true",
                in: dir)
            let acks = (try? String(contentsOfFile: "\(dir)/acks", encoding: .utf8)) ?? ""
            for line in acks.split(separator: "\n") {
                let parts = line.split(separator: "\t", maxSplits: 1)
                // A line cut by the kill is not an acknowledgement.
                guard parts.count == 2, let index = UInt64(parts[0]), parts[1].hasPrefix("round \(round) entry ") else { continue }
                acknowledged[index] = String(parts[1])
            }
            if acks.split(separator: "\n").count < 2000 { killedMidway += 1 }
            do {
                // Opening for writing proves the killed writer's lock is gone.
                let log = try TransparencyLog(opening: "\(dir)/lg", forWriting: true)
                for (index, entry) in acknowledged {
                    #expect(try log.entry(at: index) == Array(entry.utf8), "round \(round): entry \(index)")
                }
                #expect(log.size >= UInt64(acknowledged.count))
            }
            if round % 20 == 19 {
                let signed = try Peers.bulla("log", "checkpoint", "lg", in: dir)
                #expect(signed.status == 0, "round \(round): \(signed.stderr)")
                let audit = try Peers.bulla("log", "verify", "lg", "--log-key", "lg/log.pub", in: dir)
                #expect(audit.status == 0, "round \(round): \(audit.stderr)")
            }
        }
        #expect(killedMidway >= 150, "most kills should land while the writer is appending")
        print("log crash test: 200 kills, \(acknowledged.count) acknowledged entries all present, \(killedMidway) kills mid-stream")
    }
}
