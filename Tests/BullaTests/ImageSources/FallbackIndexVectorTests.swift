@testable import Bulla
import BullaCrypto
import Testing

/// spec/vectors/registry/fallback-index.json: the `sha256-<hex>` index Bulla pushed to a
/// registry without the referrers API. It parses as an index whose entry carries what a
/// verifier filters on before fetching anything: the bundle artifactType and the predicate.
@Suite struct FallbackIndexVectorTests {
    @Test func theStoredIndexListsTheReferrerWithItsArtifactType() throws {
        let bytes = try SpecVectors.bytes("registry/fallback-index.json")
        let document = try ManifestDocument(
            bytes: bytes, descriptor: Descriptor(mediaType: MediaType.ociIndex, digest: Digest.compute(.sha256, over: bytes), size: Int64(bytes.count)))
        guard case .index(let index) = document.content else {
            Issue.record("not an index")
            return
        }
        #expect(index.manifests.count == 1)
        let entry = try #require(index.manifests.first)
        #expect(entry.mediaType == MediaType.ociManifest)
        #expect(entry.artifactType == SigstoreBundle.mediaTypeV03)
        #expect(entry.annotations?[CosignStorage.referrerAnnotationPredicate] == InTotoStatement.cosignSignPredicate)
        #expect(entry.digest.description.hasPrefix("sha256:d44b00df"))
    }
}
