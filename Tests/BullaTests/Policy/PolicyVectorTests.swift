import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// The policy table (spec/vectors/policy/cases.json): each case's policy judges its predicate
/// by its age and content rules (as `bulla policy test` does, trust not checked), at the case's
/// time, and must reach the expected decision with every expected reason; each malformed policy is refused naming its line.
@Suite struct PolicyVectorTests {
    struct Table: Decodable {
        struct Case: Decodable, CustomTestStringConvertible, Sendable {
            var name, policy, type, predicate, image, now, decision: String
            var reasons: [String]
            var testDescription: String { name }
        }
        struct Invalid: Decodable, CustomTestStringConvertible, Sendable {
            var name, policy, reason: String
            var line: Int
            var testDescription: String { name }
        }
        var cases: [Case]
        var invalid: [Invalid]
    }

    static let table = try! SpecVectors.load(Table.self, "policy/cases.json")
    static let directory = SpecVectors.root.appendingPathComponent("policy").path

    @Test func theTableIsLargeEnough() {
        #expect(Self.table.cases.count >= 60)
        #expect(Set(Self.table.cases.map(\.decision)) == ["allow", "deny"])
        #expect(Self.table.invalid.count >= 15)
    }

    /// The case's predicate judged by its policy at its time, the way `judge` says.
    static func decision(_ test: Table.Case, judge: (PolicyEvaluator, RawJSON, PredicateType) -> PolicyDecision) throws -> PolicyDecision {
        let policy = try Policy(yaml: test.policy, file: "case.yaml", baseDirectory: directory)
        let evaluator = PolicyEvaluator(policy: policy, now: try #require(Timestamp.parse(test.now)))
        let predicate = try RawJSON(validating: try SpecVectors.bytes("policy/\(test.predicate)"), what: test.predicate)
        return judge(evaluator, predicate, try PredicateType(parsing: test.type))
    }

    /// The case's decision and reasons, as `policy check` prints them (a denial's reasons among
    /// the deny lines); every denial names its rule or says no rule matched.
    static func expectDecided(_ decision: PolicyDecision, _ test: Table.Case) {
        #expect(decision.decision == test.decision, "\(decision.violations)")
        let lines = decision.description.split(separator: "\n")
        let said = (test.decision == "deny" ? lines.filter { $0.hasPrefix("  deny") } : lines).joined(separator: "\n")
        for reason in test.reasons {
            #expect(said.contains(reason), "missing \"\(reason)\" in:\n\(said)")
        }
        for denial in decision.violations where denial.denies {
            #expect(denial.rule != nil || denial.message.contains("noMatch is"))
        }
    }

    /// `bulla policy test`: the file by the age and content rules, trust not checked.
    @Test(arguments: table.cases)
    func decides(_ test: Table.Case) throws {
        let decision = try Self.decision(test) { evaluator, predicate, type in
            evaluator.test(predicate: predicate, as: type, reference: test.image, origin: test.predicate)
        }
        Self.expectDecided(decision, test)
    }

    /// The same table through the path admission takes: the predicate as an attestation that
    /// verified under each of the requirement's trusted keys, judged with key counting and
    /// thresholds. Same decisions and reasons, and nothing left unchecked.
    @Test(arguments: table.cases)
    func decidesTheSameFromVerifiedAttestations(_ test: Table.Case) throws {
        let decision = try Self.decision(test) { evaluator, predicate, type in
            evaluator.decide(
                attestationsOf: type, reference: test.image, digest: nil,
                evidence: VerifiedAttestation(predicate: predicate, type: type, origin: test.predicate))
        }
        Self.expectDecided(decision, test)
        #expect(decision.unchecked == nil)
    }

    @Test(arguments: table.invalid)
    func refusesWithLineAndReason(_ test: Table.Invalid) {
        do {
            _ = try Policy(yaml: test.policy, file: "case.yaml", baseDirectory: Self.directory)
            Issue.record("accepted")
        } catch let error as BullaError {
            #expect(error.code == .malformedInput)
            #expect(error.message.hasPrefix("case.yaml:\(test.line)"), "\(error.message)")
            #expect(error.message.contains(test.reason), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// A predicate as the verification of one attestation per trusted key would give it: what the
/// policy's trust, age and content rules are then applied to. Test evidence only; Bulla's own
/// evidence comes from signatures it verified (``FoundEvidence``).
private struct VerifiedAttestation: PolicyEvidence {
    var predicate: RawJSON
    var type: PredicateType
    var origin: String

    func signatures(trustedBy trust: TrustPolicy) throws -> VerificationResult {
        throw BullaError(.invalidArgument, "the vectors hold no image signatures")
    }

    func attestations(of type: PredicateType, trustedBy trust: TrustPolicy) throws -> VerificationResult {
        let checks = trust.keys.map { key in
            var check = SignatureCheck(origin: "\(origin) by \(key.keyID.prefix(8))", format: .bundle, keyID: key.keyID, counted: true, reason: "verified")
            check.verified = true
            check.predicateType = self.type.uri
            check.predicate = predicate
            return check
        }
        return VerificationResult(
            reference: origin, digest: Digest.compute(over: Array(predicate.bytes)), verified: checks.count >= trust.threshold,
            threshold: trust.threshold, trustedKeysSatisfied: checks.compactMap(\.keyID), signatures: checks)
    }
}

/// Version orderings and ranges (spec/vectors/policy/versions.json), cross-checked when made
/// against dpkg, packaging, semver and apk-tools' own test data.
@Suite struct VersionVectorTests {
    struct Table: Decodable {
        struct Compare: Decodable, Sendable { var scheme, a, b: String; var result: Int? }
        struct RangeCase: Decodable, Sendable { var range, scheme, version: String; var contains: Bool? }
        struct Normalized: Decodable, Sendable { var range, description: String }
        var compare: [Compare]
        var ranges: [RangeCase]
        var invalidRanges: [String]
        var normalized: [Normalized]
    }

    static let table = try! SpecVectors.load(Table.self, "policy/versions.json")

    @Test func comparisons() throws {
        #expect(Set(Self.table.compare.map(\.scheme)) == Set(VersionScheme.allCases.map(\.rawValue)))
        for test in Self.table.compare {
            let scheme = try #require(VersionScheme(rawValue: test.scheme))
            #expect(scheme.compare(test.a, test.b) == test.result, "\(test.scheme) \(test.a) vs \(test.b)")
            #expect(scheme.compare(test.b, test.a) == test.result.map { -$0 }, "\(test.scheme) \(test.b) vs \(test.a)")
        }
    }

    @Test func ranges() throws {
        for test in Self.table.ranges {
            let scheme = try #require(VersionScheme(rawValue: test.scheme))
            #expect(try VersionRange(test.range).contains(test.version, scheme: scheme) == test.contains, "\(test.range) ∋ \(test.version)")
        }
        for text in Self.table.invalidRanges {
            #expect(throws: BullaError.self, "\(text)") { try VersionRange(text) }
        }
        for test in Self.table.normalized {
            #expect(try VersionRange(test.range).description == test.description)
        }
    }
}

/// SPDX licence expressions and denial (spec/vectors/policy/licenses.json).
@Suite struct LicenseVectorTests {
    struct Table: Decodable {
        struct Parse: Decodable, Sendable { var text, canonical: String }
        struct Invalid: Decodable, Sendable {
            var text: String
            var reason: String
            enum CodingKeys: String, CodingKey { case text, reason = "reason contains" }
        }
        struct Deny: Decodable, Sendable { var expression: String; var denied: [String]; var result: [String]? }
        var parse: [Parse]
        var invalid: [Invalid]
        var invalidDenial: [Invalid]
        var deny: [Deny]
        enum CodingKeys: String, CodingKey { case parse, invalid, invalidDenial = "invalid denial", deny }
    }

    static let table = try! SpecVectors.load(Table.self, "policy/licenses.json")

    @Test func expressions() throws {
        for test in Self.table.parse {
            #expect(try LicenseExpression(parsing: test.text).description == test.canonical, "\(test.text)")
        }
        for test in Self.table.invalid {
            #expect(performing: { try LicenseExpression(parsing: test.text) }, throws: { ($0 as? BullaError)?.message.contains(test.reason) == true })
        }
        for test in Self.table.invalidDenial {
            #expect(performing: { try LicenseDenial(test.text) }, throws: { ($0 as? BullaError)?.message.contains(test.reason) == true })
        }
    }

    @Test func denials() throws {
        for test in Self.table.deny {
            let denied = try test.denied.map { try LicenseDenial($0) }
            let hit = try LicenseExpression(parsing: test.expression).unavoidableLicenses(deniedBy: denied)
            #expect(hit?.map(\.description) == test.result, "\(test.expression) denying \(test.denied)")
        }
    }
}
