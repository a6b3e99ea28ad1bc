import BullaCrypto

/// Adds content to an OCI image layout directory so that a crash or error at any point leaves
/// the layout as it was or fully updated, never half.
///
/// Blobs are content-addressed: each is written to a temporary name, flushed and renamed into
/// place, so a blob is either absent or whole, and an extra blob changes nothing that reads the
/// layout. The one switch that makes new content visible is `index.json`, replaced by rename
/// after a flush, with the directory flushed after. Writers of one layout are serialised by an
/// exclusive lock on `index.json`'s directory.
public final class LayoutWriter {
    /// The layout directory written, holding `index.json`.
    public let root: String
    private let lock: FileLock

    /// Opens an existing layout and takes its writer lock, held until this writer is released.
    public init(root: String) throws {
        guard FileIO.isDirectory(root), FileIO.size("\(root)/index.json") != nil else {
            throw BullaError(.notFound, "\(root) is not an OCI image layout directory (no index.json)")
        }
        self.root = root
        lock = try FileLock(
            root, directory: true, waiting: Self.lockWait,
            held: "the layout \(root) is being written by another writer, which held it for more than \(Self.lockWait.components.seconds) s")
    }

    /// How long a writer waits for another to finish with the layout (another `bulla sign` or
    /// `copy` on it, or a second writer in the same program) before it gives up.
    static let lockWait = Duration.seconds(120)

    /// Stores `bytes` as a blob (if not already there) and returns its descriptor.
    @discardableResult
    public func writeBlob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor {
        let digest = Digest.compute(.sha256, over: bytes)
        let directory = "\(root)/blobs/sha256"
        let path = "\(directory)/\(digest.hex)"
        if FileIO.size(path) == Int64(bytes.count), (try? FileDigester().digest(ofFileAt: path).digest) == digest {
            return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
        }
        try FileIO.makeDirectories(directory, under: root)
        try DurableFile.replace(path, with: bytes)
        try DurableFile.syncDirectory(directory)
        return Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Stores the blob `descriptor` names from the pieces `produce` hands over, which must end
    /// by checking them (as ``ImageSource/read(_:into:)`` does): the blob gets its name only if
    /// `produce` returns. Unless `flush`, the caller flushes before it publishes the blob
    /// (``DurableFile/syncFileSystem(of:)``), as a copy of many blobs does once.
    public func writeBlob(
        _ descriptor: Descriptor, flush: Bool = true,
        produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let directory = "\(root)/blobs/\(descriptor.digest.algorithm.rawValue)"
        let path = "\(directory)/\(descriptor.digest.hex)"
        try FileIO.makeDirectories(directory, under: root)
        try DurableFile.produce(path, flush: flush, produce)
        if flush { try DurableFile.syncDirectory(directory) }
    }

    /// Reads `index.json`, lets `change` edit its `manifests` array, and replaces the file.
    public func updateIndex(_ change: (inout [JSONValue]) throws -> Void) throws {
        let bytes = try FileIO.read("\(root)/index.json", limit: Limits.default.maxManifestBytes)
        let index = try JSONDocument.decode(JSONValue.self, from: bytes, what: "\(root)/index.json", limits: .default)
        guard case .object(var members) = index, case .array(var manifests)? = index["manifests"] else {
            throw BullaError(.malformedInput, "\(root)/index.json has no manifests array")
        }
        try change(&manifests)
        if let position = members.firstIndex(where: { $0.0 == "manifests" }) { members[position].1 = .array(manifests) }
        try DurableFile.replace("\(root)/index.json", with: JSONValue.object(members).serialized)
        try DurableFile.syncDirectory(root)
    }
}
