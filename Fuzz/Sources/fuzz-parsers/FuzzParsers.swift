import Bulla
import BullaCrypto

/// One libFuzzer entry point for all parsers: the first byte picks the parser, the rest is its
/// input. A parser may throw; it must never crash, hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let input = Array(bytes.dropFirst())
    let text = String(decoding: input, as: UTF8.self)
    let descriptor = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.compute(over: input), size: Int64(input.count))
    switch bytes[0] % 22 {
    case 0: _ = try? Digest(parsing: text)
    case 1: _ = try? ManifestDocument(bytes: input, descriptor: descriptor)
    case 2:
        var index = descriptor
        index.mediaType = MediaType.ociIndex
        _ = try? ManifestDocument(bytes: input, descriptor: index)
    case 3: _ = try? SigstoreBundle(bytes: input)
    case 4: _ = try? InTotoStatement(payload: input)
    case 5: _ = try? SimpleSigningPayload(parsing: input)
    case 6: _ = try? ImageReference(parsing: text)
    case 7: _ = Base64.decode(text)
    case 9:
        // Read strictly, then again through the trusted path the policy's later passes take.
        if let document = try? RawJSON(validating: input, what: "fuzz") {
            _ = try? SBOM(reading: document)
            _ = try? JSONPointer(parsing: "/packages/0/name").resolve(in: document)
        }
    case 10: _ = try? Policy(yaml: text)
    case 11: _ = try? PackageURL(parsing: text)
    case 12: _ = try? LicenseExpression(parsing: text)
    case 13:
        let parts = text.split(separator: "\n", maxSplits: 1).map(String.init)
        if parts.count == 2, let range = try? VersionRange(parts[0]) {
            for scheme in VersionScheme.allCases { _ = range.contains(parts[1], scheme: scheme) }
        }
    case 14: _ = try? JSONValue(parsing: input, what: "fuzz")
    case 15:
        _ = try? SignedNote(parsing: input)
        _ = try? Checkpoint(text: input)
    case 16: _ = try? NoteVerifier(vkey: text)
    case 17:
        _ = try? TileLayout.entries(inBundle: input)
        _ = try? LogJournal.segment(input, path: "fuzz", base: 298)
    case 18:
        // A request path the log server parses, and where it points.
        if let resource = LogResource(path: text) { _ = (resource.path, resource.isCovered(bySize: UInt64(input.count) << 20)) }
    case 19: _ = try? LogReceipt(json: input)
    case 20:
        // What anyone who reaches the webhook sends: the review, then the workload's images.
        if let request = try? AdmissionRequest(parsing: input) { _ = try? request.images() }
    case 21:
        // The headers a registry answers with: its authentication challenge and its next page.
        _ = AuthChallenge(header: text)
        _ = LinkHeader.next(in: text)
    default:
        _ = try? VerifyingKey(pemRepresentation: input)
        _ = try? VerifyingKey(derRepresentation: input)
    }
    return 0
}
