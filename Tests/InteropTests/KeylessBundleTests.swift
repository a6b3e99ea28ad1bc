import Bulla
import Foundation
import Testing

/// Keyless (certificate) bundles from the Sigstore conformance suite, sigstore-go and
/// sigstore-python: Bulla cannot check Fulcio identities yet, but it must read every real bundle
/// and refuse the malformed ones for their reason. Read from ../shared/vectors, beside the clone.
@Suite struct KeylessBundleTests {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/vectors/bundles").path

    static let valid: [String] = {
        let conformance = ((try? FileManager.default.contentsOfDirectory(atPath: shared + "/sigstore-conformance")) ?? [])
            .filter { !$0.hasSuffix("_fail") && FileManager.default.fileExists(atPath: "\(shared)/sigstore-conformance/\($0)/bundle.sigstore.json") }
            .map { "sigstore-conformance/\($0)/bundle.sigstore.json" }
        return conformance.sorted() + [
            "sigstore-go/dsse.sigstore.json", "sigstore-go/sigstore.js@2.0.0-provenance.sigstore.json", "sigstore-go/bundle-publish.json",
            "sigstore-python/bundle.txt.sigstore", "sigstore-python/bundle_v3.txt.sigstore", "sigstore-python/bundle_no_checkpoint.txt.sigstore",
        ]
    }()

    @Test func theVectorsAreThere() {
        #expect(Self.valid.count >= 20, "../shared/vectors/bundles must be beside the clone (found \(Self.valid.count))")
    }

    @Test(arguments: valid)
    func realBundlesParse(_ path: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.shared)/\(path)")))
        let bundle = try SigstoreBundle(bytes: bytes)
        #expect(bundle.certificate != nil || bundle.keyHint != nil || !bundle.tlogEntries.isEmpty)
    }

    @Test(arguments: [
        ("bundle-malformed-json_fail", "not a valid document"),
        ("bundle-unknown-version_fail", "is not a Sigstore bundle"),
        ("bundle-invalid-base64-signature_fail", "not base64"),
    ])
    func malformedBundlesAreRefusedForTheirReason(_ name: String, _ reason: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.shared)/sigstore-conformance/\(name)/bundle.sigstore.json")))
        let error = #expect(throws: (any Error).self) { try SigstoreBundle(bytes: bytes) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(reason), "\(String(describing: error))")
    }
}
