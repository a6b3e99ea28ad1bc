import Foundation
import Testing

/// More than a hundred single mutations of signed layouts and bundles, made by
/// Tests/Fixtures/make_tampered.py around signatures this build makes: every tampered case is
/// rejected with its own reason, and the controls (a lying key hint, a re-signed payload, two
/// real keys meeting a threshold) still verify.
@Suite struct TamperTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let what: String
        let args: [String]
        let expect_status: Int32
        let expect: String
        var testDescription: String { name }
    }

    static let directory = NSTemporaryDirectory() + "bulla-tamper-\(UUID().uuidString)"

    static let cases: [Case] = {
        switch GeneratedCases.load(Case.self, script: "make_tampered.py", arguments: [Peers.bulla], into: directory) {
        case .success(let cases): return cases
        case .failure(let error): return [Case(name: "fixture generation", what: "\(error)", args: [], expect_status: -1, expect: "")]
        }
    }()

    @Test func atLeastFiftyDistinctMutationsAreRejected() {
        let rejections = Self.cases.filter { $0.expect_status != 0 }
        #expect(rejections.count >= 50, "\(rejections.count)")
        #expect(Set(rejections.map(\.expect)).count >= 50, "distinct reasons")
        #expect(Self.cases.contains { $0.expect_status == 0 }, "controls that must verify")
    }

    @Test(arguments: cases)
    func givesItsExpectedAnswerAndReason(_ tampered: Case) throws {
        try #require(!tampered.args.isEmpty, "\(tampered.what)")
        let result = try Command.run([Peers.bulla] + tampered.args, in: Self.directory, environment: ["BULLA_PASSWORD": "pw"])
        #expect(result.status == tampered.expect_status, "\(tampered.what): exit \(result.status)\n\(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).contains(tampered.expect), "\(tampered.what): \(result.stdout)\(result.stderr)")
    }
}
