import Bulla
import BullaCrypto
@testable import BullaRegistry
import Foundation
import Testing

/// When a request is asked again, and for how long Bulla waits, without a registry.
@Suite struct RetryPolicyTests {
    static func policy(retries: Int = 3, deadline: RegistryDeadline? = nil) -> RetryPolicy {
        var options = RegistryOptions()
        options.retries = retries
        options.backoffSeconds = 0.001
        return RetryPolicy(options: options, deadline: deadline, registry: "registry.example")
    }

    @Test func transientAnswersAreTheOnesThatMayChange() {
        #expect([429, 500, 502, 503, 504].allSatisfy(RetryPolicy.isTransient))
        #expect(![400, 401, 403, 404, 501, 505].contains(where: RetryPolicy.isTransient))
    }

    @Test func retriesAreCountedUpToTheLimit() throws {
        var retry = Self.policy(retries: 2)
        #expect(retry.canRetry)
        try retry.wait(retryAfter: nil)
        try retry.wait(retryAfter: "0")
        #expect(!retry.canRetry)
        #expect(retry.attempts == 2)
    }

    @Test(arguments: ["Wed, 21 Oct 2015 07:28:00 GMT", "0", " 0 ", "-5"])
    func aRetryAfterInThePastMeansNow(_ value: String) throws {
        var retry = Self.policy()
        let started = ContinuousClock.now
        try retry.wait(retryAfter: value)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test(arguments: ["nan", "inf", "-inf", "1e300", "61"])
    func aRetryAfterNoFiniteWaitMeetsIsRefused(_ value: String) {
        var retry = Self.policy()
        #expect(throws: BullaError.self) { try retry.wait(retryAfter: value) }
    }

    @Test func aWaitPastTheDeadlineIsRefusedBeforeSleeping() {
        var retry = Self.policy(deadline: RegistryDeadline(seconds: 1))
        let started = ContinuousClock.now
        let error = #expect(throws: BullaError.self) { try retry.wait(retryAfter: "30") }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(error?.message.contains("deadline") == true, "\(error?.message ?? "")")
    }

    @Test func aPassedDeadlineStopsTheNextRequest() throws {
        let retry = Self.policy(deadline: RegistryDeadline(remaining: .zero, name: "the test's deadline"))
        let error = #expect(throws: BullaError.self) { try retry.checkDeadline("manifest team/app:1") }
        #expect(error?.message.contains("the test's deadline") == true, "\(error?.message ?? "")")
    }
}
