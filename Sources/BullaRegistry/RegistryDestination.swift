import Bulla
import BullaCrypto

/// A repository in a registry, written as a destination. Each write is visible once it
/// returns; blobs go before the manifests that name them, so a reader never finds a manifest
/// whose content is missing.
public final class RegistryDestination: ImageDestination {
    /// The registry and repository written to; tags come from each write, not from this reference.
    public let image: RegistryReference
    /// The client every write goes through, shared with a source on the same registry.
    public let client: RegistryClient
    /// Whether the registry answers the referrers API, learnt on first use.
    private var hasReferrersAPI: Bool?

    /// Writes into `image`'s repository through `client`.
    public init(_ image: RegistryReference, client: RegistryClient) {
        self.image = image
        self.client = client
    }

    /// `docker://NAME`, the form messages and the CLI's reports give for a registry.
    public var location: String { "docker://\(image.name)" }

    /// A registry has no conditional writes: a tag update is confirmed by reading it again
    /// after a pause longer than another signer's read-and-write takes.
    public var settleSeconds: Double { 0.3 }
    private var repository: String { image.repository }

    /// Whether the repository has the content: a manifest by a HEAD on its digest, a blob by a blob HEAD.
    public func contains(_ descriptor: Descriptor) throws -> Bool {
        if MediaType.kind(of: descriptor.mediaType) != nil {
            return try client.manifestDescriptor(repository, descriptor.digest.description) != nil
        }
        return try client.blobExists(repository, descriptor)
    }

    /// Uploads a small blob (a signature layer, a config) unless the repository has it already.
    public func putBlob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let descriptor = Descriptor(mediaType: mediaType, digest: Digest.compute(.sha256, over: bytes), size: Int64(bytes.count))
        if try !client.blobExists(repository, descriptor) {
            try client.uploadBlob(repository, descriptor, progress: nil) { sink in try bytes.withUnsafeBytes(sink) }
        }
        return descriptor
    }

    /// Mounts the blob from a repository on the same registry if it can, else uploads it from `source`.
    public func putBlob(_ descriptor: Descriptor, from source: any ImageSource, progress: (@Sendable (Int) -> Void)?) throws {
        if let other = source as? RegistrySource, other.image.registry == image.registry, other.image.repository != repository,
           try client.mountBlob(repository, descriptor, from: other.image.repository) {
            progress?(Int(clamping: descriptor.size))
            return
        }
        try client.uploadBlob(repository, descriptor, progress: progress) { sink in try source.read(descriptor, into: sink) }
    }

    /// PUTs the manifest under its tag, or its digest when it is a child or untagged.
    public func putManifest(_ bytes: [UInt8], mediaType: String, as name: ManifestName) throws -> Descriptor {
        let digest = Digest.compute(.sha256, over: bytes)
        let reference: String
        switch name {
        case .child, .top(nil): reference = digest.description
        case .top(let tag?): reference = tag
        }
        return try client.putManifest(repository, reference, bytes: bytes, mediaType: mediaType)
    }

    /// With the referrers API the registry lists a manifest under its subject by itself;
    /// without it, the referrers go into the `sha256-<hex>` fallback tag's index, each entry
    /// with its `artifactType` and annotations, merged with what other writers put there.
    public func addReferrers(_ referrers: [Descriptor], of subject: Digest) throws {
        if hasReferrersAPI == nil { hasReferrersAPI = try client.referrers(repository, of: subject) != nil }
        if hasReferrersAPI == true { return }
        let tag = CosignStorage.tag(for: subject, suffix: "")
        try updateTag(tag, mediaType: MediaType.ociIndex) { current in
            guard let current else {
                return JSONValue.object([
                    ("schemaVersion", .integer(2)),
                    ("mediaType", .string(MediaType.ociIndex)),
                    ("manifests", .array(referrers.map(JSONValue.descriptor))),
                ]).serialized
            }
            guard case .index(let index) = current.content else {
                throw BullaError(.malformedInput, "\(location): tag \(tag) names a manifest, not the referrers index")
            }
            let missing = referrers.filter { referrer in !index.manifests.contains { $0.digest == referrer.digest } }
            guard !missing.isEmpty else { return nil }
            // What other writers put there stays as they wrote it (members Bulla does not model
            // included): only the new entries are appended to `manifests`.
            guard case .object(var members) = try JSONValue(parsing: current.bytes, what: "\(location): the referrers index under \(tag)"),
                  let position = members.firstIndex(where: { $0.0 == "manifests" }), case .array(let kept) = members[position].1 else {
                throw BullaError(.malformedInput, "\(location): tag \(tag) holds an index without a manifests array")
            }
            members[position].1 = .array(kept + missing.map(JSONValue.descriptor))
            return JSONValue.object(members).serialized
        }
    }

    /// The manifest `tag` names now, read fresh: `updateTag` merges onto it.
    public func taggedManifest(_ tag: String) throws -> ManifestDocument? {
        guard let (bytes, descriptor) = try client.manifest(repository, tag) else { return nil }
        return try ManifestDocument(bytes: bytes, descriptor: descriptor, limits: client.options.limits)
    }

    /// Nothing to do: each registry write is visible once it returns.
    public func commit() throws {}
}
