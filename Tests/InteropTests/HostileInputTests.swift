import Foundation
import Testing

/// Hostile archives and documents (made by Tests/Fixtures/make_hostile.py): each must be refused
/// with exit code 3 and a message that names the reason, within bounded memory.
@Suite struct HostileInputTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let reference: String
        let expect: String
        let what: String
        /// What `verify-content` exits with: 1 where the case is a blob that contradicts its
        /// descriptor (a failed check), else 3 like `digest`.
        var verify_status: Int32 = 3
        var testDescription: String { name }
    }

    static let directory = NSTemporaryDirectory() + "bulla-hostile-\(UUID().uuidString)"

    static let cases: [Case] = {
        switch GeneratedCases.load(Case.self, script: "make_hostile.py", arguments: [], into: directory) {
        case .success(let cases): return cases
        case .failure(let error): return [Case(name: "fixture generation", reference: "", expect: "\(error)", what: "make_hostile.py must run")]
        }
    }()

    /// Peak resident memory allowed for any refusal.
    static let memoryCeilingKiB = 256 * 1024

    @Test func thereAreAtLeastFifteenCases() {
        #expect(Self.cases.count >= 15, "\(Self.cases.map(\.name))")
    }

    @Test(arguments: cases)
    func refusedWithExitCode3AndItsReason(_ hostile: Case) throws {
        try #require(!hostile.reference.isEmpty, "\(hostile.expect)")
        for (command, status) in [("digest", Int32(3)), ("verify-content", hostile.verify_status)] {
            let result = try Peers.bulla(command, hostile.reference, in: Self.directory)
            #expect(result.status == status, "\(command) \(hostile.reference): exit \(result.status), stderr: \(result.stderr)")
            #expect((result.stderr + result.stdout).contains(hostile.expect), "\(command) \(hostile.reference): \(result.stderr)")
            // Under AddressSanitizer the shadow memory alone passes the ceiling; the bound is
            // checked in the plain build.
            if ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil {
                #expect(result.maxRSSKiB < Self.memoryCeilingKiB, "\(command) \(hostile.reference) peaked at \(result.maxRSSKiB) KiB")
            }
        }
    }
}
