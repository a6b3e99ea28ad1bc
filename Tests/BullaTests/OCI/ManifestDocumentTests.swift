@testable import Bulla
import BullaCrypto
import Foundation
import Testing

struct OCIExample: Decodable, Sendable, CustomTestStringConvertible {
    let file: String
    let sha256: String
    let size: Int
    let kind: String
    var testDescription: String { file }
    static let all = try! SpecVectors.load([OCIExample].self, "oci/expected.json")
}

@Suite struct ManifestDocumentTests {
    private func descriptor(for bytes: [UInt8], mediaType: String) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: Digest.compute(over: bytes), size: Int64(bytes.count))
    }

    @Test(arguments: OCIExample.all)
    func specExamplesParseAndDigestTheirExactBytes(_ example: OCIExample) throws {
        let bytes = try SpecVectors.bytes("oci/\(example.file)")
        #expect(Digest.compute(over: bytes).description == example.sha256)
        #expect(bytes.count == example.size)
        switch example.kind {
        case "image", "index":
            let mediaType = example.kind == "image" ? MediaType.ociManifest : MediaType.ociIndex
            let document = try ManifestDocument(bytes: bytes, descriptor: descriptor(for: bytes, mediaType: mediaType))
            #expect(document.kind.rawValue == example.kind)
            #expect(document.bytes == bytes, "the document keeps the bytes it was read from")
        case "descriptor":
            let parsed = try JSONDecoder().decode(Descriptor.self, from: Data(bytes))
            #expect(parsed.size > 0)
        default:
            break
        }
    }

    @Test func subjectAndArtifactTypeAreRead() throws {
        let bytes = try SpecVectors.bytes("oci/manifest-image-with-subject.json")
        let document = try ManifestDocument(bytes: bytes, descriptor: descriptor(for: bytes, mediaType: MediaType.ociManifest))
        guard case .image(let manifest) = document.content else { Issue.record("not an image"); return }
        #expect(manifest.subject?.mediaType == MediaType.ociManifest)
        #expect(manifest.layers.count == 3)
        let artifact = try SpecVectors.bytes("oci/manifest-artifact-minimal.json")
        let parsed = try ManifestDocument(bytes: artifact, descriptor: descriptor(for: artifact, mediaType: MediaType.ociManifest))
        guard case .image(let minimal) = parsed.content else { Issue.record("not an image"); return }
        #expect(minimal.artifactType == "application/vnd.example+type")
    }

    @Test func mediaTypeThatContradictsTheDescriptorIsRefused() throws {
        let bytes = try SpecVectors.bytes("oci/index-multiplatform.json")
        let error = #expect(throws: BullaError(.malformedInput)) {
            try ManifestDocument(bytes: bytes, descriptor: descriptor(for: bytes, mediaType: MediaType.dockerManifestList))
        }
        #expect(error?.message.contains("says mediaType") == true)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let json: String
        let mediaType: String
        let code: BullaError.Code
        let says: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        .init(name: "not JSON", json: "hello", mediaType: MediaType.ociManifest, code: .malformedInput, says: "not JSON"),
        .init(name: "schema 1", json: "{}", mediaType: MediaType.dockerSchema1Signed, code: .unsupported, says: "schema 1"),
        .init(name: "unknown media type", json: "{}", mediaType: "application/vnd.example+json", code: .unsupported, says: "not an image manifest"),
        .init(name: "schemaVersion 3", json: #"{"schemaVersion":3,"manifests":[]}"#, mediaType: MediaType.ociIndex, code: .unsupported, says: "schemaVersion 3"),
        .init(name: "no config", json: #"{"schemaVersion":2,"layers":[]}"#, mediaType: MediaType.ociManifest, code: .malformedInput, says: "config"),
        .init(name: "negative size", json: #"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:\#(String(repeating: "0", count: 64))","size":-1}]}"#, mediaType: MediaType.ociIndex, code: .malformedInput, says: "negative size"),
        .init(name: "bad digest inside", json: #"{"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":"sha256:XYZ","size":1}]}"#, mediaType: MediaType.ociIndex, code: .malformedInput, says: "sha256"),
        .init(name: "bad media type inside", json: #"{"schemaVersion":2,"manifests":[{"mediaType":"nonsense","digest":"sha256:\#(String(repeating: "0", count: 64))","size":1}]}"#, mediaType: MediaType.ociIndex, code: .malformedInput, says: "malformed mediaType"),
        .init(name: "deep nesting", json: String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000), mediaType: MediaType.ociIndex, code: .limitExceeded, says: "deeper than the limit"),
        .init(name: "deep nesting inside a string is fine but truncated JSON is not", json: #"{"schemaVersion":2,"manifests":["[[[[["#, mediaType: MediaType.ociIndex, code: .malformedInput, says: "manifest"),
    ]

    @Test(arguments: refusals)
    func malformedDocumentsAreRefusedWithTheirReason(_ refusal: Refusal) {
        let bytes = Array(refusal.json.utf8)
        let error = #expect(throws: BullaError(refusal.code)) {
            try ManifestDocument(bytes: bytes, descriptor: descriptor(for: bytes, mediaType: refusal.mediaType))
        }
        #expect(error?.message.contains(refusal.says) == true, "message: \(error?.message ?? "none")")
    }
}

@Suite struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux", "amd64", nil as String?, true),
        ("linux/arm64", "linux", "arm64", "v8", true),
        ("linux/arm64/v8", "linux", "arm64", nil, true),
        ("linux/arm/v7", "linux", "arm", "v6", false),
        ("linux/arm/v7", "linux", "arm", "v7", true),
        ("windows/amd64", "linux", "amd64", nil, false),
        ("linux/amd64", "linux", "arm64", nil, false),
    ])
    func matching(requested: String, os: String, arch: String, variant: String?, expected: Bool) throws {
        let platform = try Platform(parsing: requested)
        #expect(platform.matches(Platform(os: os, architecture: arch, variant: variant)) == expected)
    }

    @Test(arguments: ["linux", "linux/", "/amd64", "a/b/c/d", "linux/ amd64", ""])
    func malformedPlatformsAreRefused(_ text: String) {
        #expect(throws: BullaError(.invalidArgument)) { try Platform(parsing: text) }
    }
}

@Suite struct JSONDuplicateMemberTests {
    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        #"{"x":{"env":"dev","env":"prod"}}"#,
        #"{"env":"dev","\u0065nv":"prod"}"#,
        #"[{"k":1},{"k":1,"k":2}]"#,
    ])
    func repeatedMembersAreRefused(_ json: String) {
        let error = #expect(throws: BullaError(.malformedInput)) {
            try JSONDocument.checkNesting(Array(json.utf8), what: "doc", maxDepth: 64)
        }
        #expect(error?.message.contains("repeats the member") == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        #"{"a":1,"b":{"a":2}}"#,
        #"[{"k":1},{"k":2}]"#,
        #"{"a":"x\"y","b":"\"a\""}"#,
        #"{"a":["a","a"],"b":1}"#,
    ])
    func sameNamesInDifferentObjectsAreFine(_ json: String) throws {
        try JSONDocument.checkNesting(Array(json.utf8), what: "doc", maxDepth: 64)
    }
}
