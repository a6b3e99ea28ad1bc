import COpenSSL

/// Owns one `EVP_MD_CTX`; the only holder of that pointer.
final class MessageDigestContext: @unchecked Sendable {
    // @unchecked: the context is only touched through the owning StreamingDigest, which copies
    // it before mutating whenever it is shared (copy-on-write).
    private let context: OpaquePointer
    let algorithm: DigestAlgorithm

    init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        // Allocation and init fail only when memory is exhausted or the provider is missing:
        // neither is a condition a caller could handle, so they trap with the OpenSSL reason.
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: \(OpenSSLCall.drainErrorQueue() ?? "out of memory")")
        }
        guard EVP_DigestInit_ex2(context, MessageDigestContext.method(algorithm), nil) == 1 else {
            fatalError("EVP_DigestInit_ex2(\(algorithm)) failed: \(OpenSSLCall.drainErrorQueue() ?? "")")
        }
        self.context = context
    }

    private init(copying other: MessageDigestContext) {
        guard let context = EVP_MD_CTX_new(), EVP_MD_CTX_copy_ex(context, other.context) == 1 else {
            fatalError("EVP_MD_CTX_copy_ex failed: \(OpenSSLCall.drainErrorQueue() ?? "")")
        }
        self.context = context
        self.algorithm = other.algorithm
    }

    deinit { EVP_MD_CTX_free(context) }

    func copy() -> MessageDigestContext { MessageDigestContext(copying: self) }

    func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, buffer.count) == 1 else {
            fatalError("EVP_DigestUpdate failed: \(OpenSSLCall.drainErrorQueue() ?? "")")
        }
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &out, &length) == 1 else {
            fatalError("EVP_DigestFinal_ex failed: \(OpenSSLCall.drainErrorQueue() ?? "")")
        }
        return Array(out.prefix(Int(length)))
    }

    /// Fetched once per algorithm: an explicit fetch avoids OpenSSL 3's per-init provider lookup.
    static func method(_ algorithm: DigestAlgorithm) -> OpaquePointer {
        switch algorithm {
        case .sha256: fetched.sha256
        case .sha384: fetched.sha384
        case .sha512: fetched.sha512
        }
    }

    private struct Methods {
        let sha256: OpaquePointer
        let sha384: OpaquePointer
        let sha512: OpaquePointer
    }

    // The fetched EVP_MD objects are immutable and safe to share between threads; they live for
    // the life of the process.
    nonisolated(unsafe) private static let fetched: Methods = {
        func fetch(_ algorithm: DigestAlgorithm) -> OpaquePointer {
            guard let md = EVP_MD_fetch(nil, algorithm.openSSLName, nil) else {
                fatalError("EVP_MD_fetch(\(algorithm.openSSLName)) failed: \(OpenSSLCall.drainErrorQueue() ?? "")")
            }
            return md
        }
        return Methods(sha256: fetch(.sha256), sha384: fetch(.sha384), sha512: fetch(.sha512))
    }()
}
