/// An incremental hash: feed bytes in any chunking, get the same ``Digest`` as the one-shot form.
///
/// A value type with copy-on-write, so a partially fed hash can be copied and each copy finished
/// on its own (the way a verifier hashes a common prefix once).
public struct StreamingDigest: Sendable {
    private var context: MessageDigestContext

    /// Starts an empty hash; SHA-256 unless a manifest or descriptor names another algorithm.
    public init(_ algorithm: DigestAlgorithm = .sha256) {
        context = MessageDigestContext(algorithm)
    }

    /// The algorithm the result will be tagged with, so callers can compare it to a descriptor's.
    public var algorithm: DigestAlgorithm { context.algorithm }

    /// Feeds bytes where they lie, for blobs streamed from disk or the network without a copy.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        makeUnique()
        context.update(buffer)
    }

    /// Feeds any byte sequence; contiguous storage is hashed in place, anything else copied once.
    public mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        makeUnique()
        let done: Void? = bytes.withContiguousStorageIfAvailable { context.update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { context.update($0) }
        }
    }

    /// The digest of everything fed so far. The value can keep being fed afterwards: finishing
    /// works on a copy.
    public func finalize() -> Digest {
        let bytes = context.copy().finalize()
        // The length always matches: OpenSSL returns the algorithm's output size.
        return try! Digest(algorithm: algorithm, bytes: bytes)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&context) {
            context = context.copy()
        }
    }
}
