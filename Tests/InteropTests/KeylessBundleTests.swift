import Bulla
import Foundation
import Testing

/// Keyless (certificate) bundles from the Sigstore conformance suite, sigstore-go and
/// sigstore-python: Bulla cannot check Fulcio identities yet, but it must read every real bundle
/// and refuse the malformed ones for their reason (Fixtures/keyless, see Fixtures/README.md).
@Suite struct KeylessBundleTests {
    static let folder = SignatureInteropTests.fixtures + "/keyless"

    static let valid: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        .filter { !$0.contains("_fail") }.sorted()

    @Test func theVectorsAreThere() {
        #expect(Self.valid.count >= 20, "found \(Self.valid.count)")
    }

    @Test(arguments: valid)
    func realBundlesParse(_ path: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/\(path)")))
        let bundle = try SigstoreBundle(bytes: bytes)
        #expect(bundle.certificate != nil || bundle.keyHint != nil || !bundle.tlogEntries.isEmpty)
    }

    @Test(arguments: [
        ("bundle-malformed-json_fail", "not valid JSON"),
        ("bundle-unknown-version_fail", "is not a Sigstore bundle"),
        ("bundle-invalid-base64-signature_fail", "not base64"),
    ])
    func malformedBundlesAreRefusedForTheirReason(_ name: String, _ reason: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/conformance-\(name).sigstore.json")))
        let error = #expect(throws: (any Error).self) { try SigstoreBundle(bytes: bytes) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(reason), "\(String(describing: error))")
    }

    /// Attacks an adversarial review made on a synthetic Sigstore PKI (Fixtures/keyless): an
    /// intermediate from a retired authority supplied by the bundle, an unsigned integratedTime
    /// used to judge the log key, a DSSE envelope of another payloadType, and identities equal
    /// only under Unicode canonical equivalence. Each is refused; the control is accepted.
    @Test func keylessAttacksAreRefused() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let assets = repository.deletingLastPathComponent().appendingPathComponent("shared/sigstore-conformance/test/assets/bundle-verify").path
        let script = repository.appendingPathComponent("Tests/Fixtures/keyless/attacks.py").path
        let work = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try Command.run(["python3", script, Peers.bulla, assets, work])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0 attack(s) not refused"), "\(result.stderr)")
    }
}
