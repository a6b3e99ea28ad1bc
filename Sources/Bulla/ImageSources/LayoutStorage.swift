import BullaCrypto

/// Byte access an OCI image layout needs, whether the layout is a directory or a tar.
protocol LayoutStorage: Sendable {
    /// The layout's place, for messages ("oci:/tmp/x", "archive.tar").
    var location: String { get }
    /// A file at `path` relative to the layout root; `.notFound` if absent, `.limitExceeded` over `limit`.
    func file(_ path: String, limit: Int) throws -> [UInt8]
    /// The stored bytes of a blob, unchecked; `.limitExceeded` over `limit`.
    func blob(_ digest: Digest, limit: Int) throws -> [UInt8]
    /// Streams the blob and checks it against `descriptor`'s size and digest.
    func verifyBlob(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws
    /// Streams the blob to `sink`, then checks it against `descriptor`'s size and digest.
    func readBlob(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension LayoutStorage {
    func readBlob(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let bytes = try blob(descriptor.digest, limit: Int(min(max(descriptor.size, 0), Descriptor.maxSize)) + 1)
        try BlobCheck.verify(bytes, against: descriptor, in: location)
        try bytes.withUnsafeBytes(sink)
    }

    /// `blobs/<alg>/<hex>` (image-layout.md "Blobs"). Safe as a path: a parsed digest is hex only.
    static func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm.rawValue)/\(digest.hex)" }
}
