import BullaCrypto

/// An OCI image layout that is a directory on disk (`oci:DIR`).
struct DirectoryStorage: LayoutStorage {
    let root: String
    var location: String { "oci:\(root)" }

    init(root: String) throws {
        guard FileIO.isDirectory(root) else {
            throw BullaError(.notFound, "\(root) is not a directory (an oci: layout is a directory with index.json, oci-layout and blobs/)")
        }
        self.root = root
    }

    func file(_ path: String, limit: Int) throws -> [UInt8] {
        try FileIO.read("\(root)/\(path)", limit: limit)
    }

    func blob(_ digest: Digest, limit: Int) throws -> [UInt8] {
        do {
            return try FileIO.read("\(root)/\(Self.blobPath(digest))", limit: limit)
        } catch let error where error.bullaCode == .notFound {
            throw BullaError(.notFound, "blob \(digest) is missing from \(location) (no \(Self.blobPath(digest)))")
        }
    }

    func verifyBlob(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws {
        try stream(descriptor, progress: progress) { _ in }
    }

    func readBlob(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(descriptor, progress: nil, into: sink)
    }

    private func stream(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let path = "\(root)/\(Self.blobPath(descriptor.digest))"
        let result: (digest: Digest, size: Int64)
        do {
            // One byte past the declared size is enough to know the blob is too long.
            result = try FileDigester().digest(
                ofFileAt: path, algorithm: descriptor.digest.algorithm, limit: min(descriptor.size, Descriptor.maxSize) + 1, progress: progress, consume: sink)
        } catch let error where error.bullaCode == .notFound {
            throw BullaError(.notFound, "blob \(descriptor.digest) is missing from \(location) (no \(Self.blobPath(descriptor.digest)))")
        } catch let error where error.bullaCode == .limitExceeded {
            throw BlobCheck.sizeMismatch(descriptor, read: FileIO.size(path) ?? min(descriptor.size, Descriptor.maxSize) + 1, in: location)
        }
        guard result.size == descriptor.size else { throw BlobCheck.sizeMismatch(descriptor, read: result.size, in: location) }
        guard result.digest == descriptor.digest else { throw BlobCheck.digestMismatch(descriptor, found: result.digest, in: location) }
    }
}
