import BullaCrypto
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An OCI image layout directory written as a destination: blobs land as they come, and
/// ``commit()`` publishes every manifest, tag and referrer with one replacement of `index.json`,
/// so a failed sign or copy leaves the layout as it was.
public final class LayoutDestination: ImageDestination {
    /// The layout directory written.
    public let root: String
    private let writer: LayoutWriter
    private let storage: DirectoryStorage
    /// The entries `index.json` gets at commit, in order; a tagged one replaces the tag's entry.
    private var pending: [(tag: String?, descriptor: Descriptor)] = []
    /// Streamed blobs not yet flushed, made durable together before `index.json` changes.
    private let unflushed = Atomic<Bool>(false)

    /// Opens the layout at `root`; with `create`, makes an empty one first if there is none
    /// (as `skopeo copy … oci:DIR` does).
    public init(root: String, create: Bool = false) throws {
        if create && FileIO.size("\(root)/index.json") == nil {
            try Self.makeEmptyLayout(at: root)
        }
        writer = try LayoutWriter(root: root)
        storage = try DirectoryStorage(root: root)
        self.root = root
    }

    /// `oci:ROOT`, the form messages and the CLI's reports give for a layout.
    public var location: String { "oci:\(root)" }

    /// Whether the blob file is there at the descriptor's size (written whole, by rename).
    public func contains(_ descriptor: Descriptor) throws -> Bool {
        FileIO.size("\(root)/\(DirectoryStorage.blobPath(descriptor.digest))") == descriptor.size
    }

    /// Writes a small blob durably now; it stays unlisted until a manifest names it.
    public func putBlob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        try writer.writeBlob(bytes, mediaType: mediaType)
    }

    /// Streams a blob into place, checked by the source's read; flushed at once or all at commit.
    public func putBlob(_ descriptor: Descriptor, from source: any ImageSource, progress: (@Sendable (Int) -> Void)?) throws {
        let flushEach = !DurableFile.canSyncFileSystem
        try writer.writeBlob(descriptor, flush: flushEach) { write in
            try source.read(descriptor) { piece in
                try write(piece)
                progress?(piece.count)
            }
        }
        if !flushEach { unflushed.store(true, ordering: .relaxed) }
    }

    /// Writes the manifest as a blob; a top-level one is listed in `index.json` at commit.
    public func putManifest(_ bytes: [UInt8], mediaType: String, as name: ManifestName) throws -> Descriptor {
        let descriptor = try writer.writeBlob(bytes, mediaType: mediaType)
        if case .top(let tag) = name {
            pending.removeAll { tag != nil ? $0.tag == tag : ($0.tag == nil && $0.descriptor.digest == descriptor.digest) }
            pending.append((tag, descriptor))
        }
        return descriptor
    }

    /// Lists the referrers as untagged `index.json` entries at commit, where finders look.
    public func addReferrers(_ referrers: [Descriptor], of subject: Digest) throws {
        for referrer in referrers where !pending.contains(where: { $0.tag == nil && $0.descriptor.digest == referrer.digest }) {
            pending.append((nil, referrer))
        }
    }

    /// The manifest `tag` names, counting writes not yet committed, so `updateTag` merges onto them.
    public func taggedManifest(_ tag: String) throws -> ManifestDocument? {
        let descriptor: Descriptor
        if let written = pending.last(where: { $0.tag == tag }) {
            descriptor = written.descriptor
        } else if let listed = try OCILayout(reference: .ociLayout(path: root, tag: nil), storage: storage, selection: .tag(nil), limits: .default)
            .descriptor(tagged: tag) {
            descriptor = listed
        } else {
            return nil
        }
        let bytes = try storage.blob(descriptor.digest, limit: Limits.default.maxManifestBytes)
        return try ManifestDocument(bytes: bytes, descriptor: descriptor, limits: .default)
    }

    /// Flushes streamed blobs, then publishes every pending entry with one `index.json` replacement.
    public func commit() throws {
        if unflushed.exchange(false, ordering: .relaxed) {
            try DurableFile.syncFileSystem(of: root)
        }
        guard !pending.isEmpty else { return }
        let entries = pending
        try writer.updateIndex { manifests in
            for (tag, descriptor) in entries {
                var entry = descriptor
                if let tag {
                    manifests.removeAll { $0["annotations"]?[AnnotationKey.referenceName]?.stringValue == tag }
                    entry.annotations = (entry.annotations ?? [:]).merging([AnnotationKey.referenceName: tag]) { _, new in new }
                } else if manifests.contains(where: { $0["digest"]?.stringValue == descriptor.digest.description && $0["annotations"]?[AnnotationKey.referenceName] == nil }) {
                    continue
                }
                manifests.append(.descriptor(entry))
            }
        }
        pending = []
    }

    private static func makeEmptyLayout(at root: String) throws {
        // Missing parents are made too, as for a mirror's HOST/PATH directories.
        do {
            try FileIO.makeDirectories(root)
        } catch let error as BullaError {
            throw BullaError(.ioFailure, "cannot create the layout directory \(root): \(error.message)", underlying: error.underlying)
        }
        try DurableFile.replace("\(root)/oci-layout", with: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try DurableFile.replace("\(root)/index.json", with: Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.utf8))
        try DurableFile.syncDirectory(root)
    }
}
