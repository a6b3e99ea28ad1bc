import Bulla
import BullaCrypto

/// An image in a registry, read as any other `ImageSource`: manifests by digest with their
/// exact bytes, blobs streamed and checked as they arrive, referrers from the referrers API,
/// and the tags cosign stores beside an image.
public struct RegistrySource: ImageSource {
    /// The `.registry` reference this source reads, as every `ImageSource` reports it.
    public let reference: ImageReference
    /// The registry, repository and tag or digest read.
    public let image: RegistryReference
    /// The client every request goes through (TLS, tokens, retries, deadline).
    public let client: RegistryClient
    /// The client's limits: what this source refuses to read past (spec/limits.md).
    public var limits: Limits { client.options.limits }

    /// Reads `image` through an existing client, so requests share its connections and tokens.
    public init(_ image: RegistryReference, client: RegistryClient) {
        self.image = image
        self.reference = .registry(image)
        self.client = client
    }

    /// Reads `image` through a new client made with `options`.
    public init(_ image: RegistryReference, options: RegistryOptions) throws {
        self.init(image, client: try RegistryClient(for: image, options: options))
    }

    private var repository: String { image.repository }

    /// The manifest the reference's tag or digest names, by HEAD (or GET); `.notFound` when there is none.
    public func rootDescriptor() throws -> Descriptor {
        guard let descriptor = try client.manifestDescriptor(repository, image.manifestReference) else {
            throw BullaError(.notFound, "\(image.registry) has no manifest \(image.repository):\(image.manifestReference)")
        }
        return descriptor
    }

    /// A registry is read by name, not listed whole: its top is the image named.
    public func topLevelDescriptors() throws -> [Descriptor] { [try rootDescriptor()] }

    /// A manifest by digest (size checked), or a blob streamed and checked against its descriptor.
    public func contents(of descriptor: Descriptor, limit: Int) throws -> [UInt8] {
        guard descriptor.size <= limit else { throw BlobCheck.tooLarge(descriptor, limit: limit, in: image.name) }
        if MediaType.kind(of: descriptor.mediaType) != nil {
            guard let (bytes, found) = try client.manifest(repository, descriptor.digest.description) else {
                throw BullaError(.notFound, "\(image.registry) has no manifest \(descriptor.digest) in \(repository)")
            }
            guard found.size == descriptor.size else {
                throw BlobCheck.sizeMismatch(descriptor, read: found.size, in: image.name)
            }
            return bytes
        }
        // The declared size is the registry's word, checked only as the bytes arrive: the
        // buffer grows with what really comes, from a modest start.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(descriptor.size, 1 << 20)))
        try read(descriptor) { bytes += $0 }
        return bytes
    }

    /// Streams the content through its size and digest checks without keeping it (`verify-content`).
    public func verify(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws {
        try read(descriptor) { progress?($0.count) }
    }

    /// Streams a blob to `sink` as it arrives; a manifest is fetched whole and checked first.
    public func read(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if MediaType.kind(of: descriptor.mediaType) != nil {
            try contents(of: descriptor, limit: limits.maxManifestBytes).withUnsafeBytes(sink)
            return
        }
        try withoutActuallyEscaping(sink) { sink in
            try client.readBlob(repository, descriptor, into: sink)
        }
    }

    /// The referrers API's list for `digest`; nil when the registry has none (spec/registries.md).
    public func referrers(of digest: Digest) throws -> [Descriptor]? {
        try client.referrers(repository, of: digest)
    }

    /// The manifest a tag names (cosign's `sha256-<hex>.sig` or fallback tags among them).
    public func descriptor(tagged tag: String) throws -> Descriptor? {
        try client.manifestDescriptor(repository, tag)
    }
}
