import BullaCrypto

/// Somewhere an image can be read from: a layout directory, an archive, a registry.
///
/// Every byte a source hands out is checked against the descriptor that asked for it, so callers
/// never see content whose digest or size disagrees with what referenced it.
public protocol ImageSource: Sendable {
    /// Where the image was opened from, as the user named it: errors and results name it.
    var reference: ImageReference { get }
    /// The bounds every read from this source is held to (spec/limits.md).
    var limits: Limits { get }

    /// The descriptor of the manifest or index the reference names.
    func rootDescriptor() throws -> Descriptor

    /// Every manifest or index at the top of the source (every entry of `index.json`, every
    /// image of a docker archive), for commands that look at all of it.
    func topLevelDescriptors() throws -> [Descriptor]

    /// The bytes of `descriptor`, refused if larger than `limit` or if they do not match its
    /// size and digest.
    func contents(of descriptor: Descriptor, limit: Int) throws -> [UInt8]

    /// Re-reads the content of `descriptor` and checks size and digest without keeping it.
    /// `progress` receives byte counts as they are hashed.
    func verify(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws

    /// Hands the content of `descriptor` to `sink` piece by piece, and throws once the last
    /// piece is in if its size or digest disagree: a sink keeps what it got provisional until
    /// this returns.
    func read(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws

    /// The manifests the source itself lists as referrers of `digest` (a layout's index entries
    /// with an `artifactType`, a registry's referrers API), to be checked for their `subject`;
    /// nil when the source keeps no such list and the `sha256-<hex>` fallback tag stands in.
    func referrers(of digest: Digest) throws -> [Descriptor]?

    /// The manifest or index `tag` names, nil when nothing does.
    func descriptor(tagged tag: String) throws -> Descriptor?
}

extension ImageSource {
    /// Default for sources that do not stream: the whole content, checked by `contents`, in one piece.
    public func read(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let bytes = try contents(of: descriptor, limit: Int(clamping: max(descriptor.size, 0)))
        try bytes.withUnsafeBytes(sink)
    }

    /// Default for layouts and archives: the top-level entries with an `artifactType`.
    public func referrers(of digest: Digest) throws -> [Descriptor]? {
        try topLevelDescriptors().filter { $0.artifactType != nil }
    }

    /// Default for layouts and archives: the top-level entry whose `ref.name` annotation is `tag`.
    public func descriptor(tagged tag: String) throws -> Descriptor? {
        try topLevelDescriptors().first { $0.referenceName == tag }
    }
}

extension ImageSource {
    /// The manifest or index `descriptor` names, read and parsed.
    public func manifest(_ descriptor: Descriptor) throws -> ManifestDocument {
        let bytes = try contents(of: descriptor, limit: limits.maxManifestBytes)
        return try ManifestDocument(bytes: bytes, descriptor: descriptor, limits: limits)
    }

    /// The manifest the reference names; with a platform, the matching child of an index.
    public func resolve(platform: Platform? = nil) throws -> ManifestDocument {
        let root = try manifest(try rootDescriptor())
        guard let platform else { return root }
        return try select(platform, from: root, depth: 0)
    }

    private func select(_ platform: Platform, from document: ManifestDocument, depth: Int) throws -> ManifestDocument {
        guard case .index(let index) = document.content else {
            throw BullaError(.notFound, "\(reference) is a single image, not an index: --platform \(platform) has nothing to choose from")
        }
        guard depth < limits.maxIndexDepth else { throw DescriptorBudget.tooDeep(reference.description, limits: limits) }
        if let child = index.manifests.first(where: { $0.platform.map(platform.matches) ?? false }) {
            let picked = try manifest(child)
            if case .index = picked.content { return try select(platform, from: picked, depth: depth + 1) }
            return picked
        }
        let available = index.manifests.compactMap { $0.platform?.description }
        throw BullaError(
            .notFound,
            "\(reference) has no manifest for platform \(platform); it has: \(available.isEmpty ? "none with a platform" : available.joined(separator: ", "))")
    }
}

/// The check every source applies to content it read, and the errors it raises.
public enum BlobCheck {
    static func verify(_ bytes: [UInt8], against descriptor: Descriptor, in location: String) throws {
        guard Int64(bytes.count) == descriptor.size else {
            throw sizeMismatch(descriptor, read: Int64(bytes.count), in: location)
        }
        let found = Digest.compute(descriptor.digest.algorithm, over: bytes)
        guard found == descriptor.digest else { throw digestMismatch(descriptor, found: found, in: location) }
    }

    /// The error for content of the wrong length, naming the blob, where it was and both sizes.
    public static func sizeMismatch(_ descriptor: Descriptor, read: Int64, in location: String) -> BullaError {
        BullaError(.sizeMismatch, "blob \(descriptor.digest) in \(location): expected \(descriptor.size) bytes, read \(read)")
    }

    /// The error for content that hashes to another digest, naming both digests and where.
    public static func digestMismatch(_ descriptor: Descriptor, found: Digest, in location: String) -> BullaError {
        BullaError(.digestMismatch, "blob \(descriptor.digest) in \(location): content hashes to \(found)")
    }

    /// The error for a descriptor over `limit`, refused before a byte is read (spec/limits.md).
    public static func tooLarge(_ descriptor: Descriptor, limit: Int, in location: String) -> BullaError {
        BullaError(.limitExceeded, "blob \(descriptor.digest) in \(location) is \(descriptor.size) bytes, more than the limit of \(limit) for a \(descriptor.mediaType)")
    }
}
