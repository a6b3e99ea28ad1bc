import AsyncHTTPClient
import Bulla
import BullaCrypto
import Foundation
import NIOCore
import NIOHTTP1

/// The OCI distribution spec v1.1 on one registry: manifests, blobs, uploads, tags and
/// referrers. Every manifest is kept as the exact bytes served and checked against the digest
/// the request or the registry names; every blob is checked against its descriptor as it
/// arrives.
public final class RegistryClient: Sendable {
    /// The `HOST[:PORT]` this client talks to, named in its errors so a user knows which registry failed.
    public let registry: String
    let transport: RegistryTransport

    /// What a manifest request accepts: OCI and Docker manifests and indexes.
    static let manifestTypes = [MediaType.ociManifest, MediaType.ociIndex, MediaType.dockerManifest, MediaType.dockerManifestList]

    /// A client for the registry `reference` names, with its TLS, credentials, retries and limits.
    public init(for reference: RegistryReference, options: RegistryOptions) throws {
        registry = reference.registry
        transport = try RegistryTransport(registry: reference.registry, apiHost: reference.apiHost, hostname: reference.hostname, options: options)
    }

    var options: RegistryOptions { transport.options }

    // MARK: Manifests

    /// The manifest `reference` (a tag or digest) names, as stored, with its descriptor; nil
    /// when the registry has no such manifest.
    public func manifest(_ repository: String, _ reference: String) throws -> (bytes: [UInt8], descriptor: Descriptor)? {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestTypes.joined(separator: ", "))
        let what = "manifest \(repository):\(reference)"
        let response = try transport.send(
            .GET, "/v2/\(repository)/manifests/\(reference)", headers: headers,
            scopes: [RegistryTransport.scope(repository)], what: what, limit: options.limits.maxManifestBytes)
        if response.status == .notFound { return nil }
        try expect(response, [.ok], what)
        let digest = Digest.compute(.sha256, over: response.body)
        if let named = Digest(reference), named != Digest.compute(named.algorithm, over: response.body) {
            throw BullaError(.digestMismatch, "\(registry) served \(what) whose bytes hash to \(digest)")
        }
        try checkAnnounced(response.headers, against: response.body, what)
        let mediaType = try Self.mediaType(of: response.body, header: response.headers.first(name: "Content-Type"), what: what)
        return (response.body, Descriptor(mediaType: mediaType, digest: digest, size: Int64(response.body.count)))
    }

    /// The descriptor of the manifest `reference` names, from a HEAD request; falls back to a
    /// GET when the registry does not say the digest. Nil when there is no such manifest.
    public func manifestDescriptor(_ repository: String, _ reference: String) throws -> Descriptor? {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: Self.manifestTypes.joined(separator: ", "))
        let what = "manifest \(repository):\(reference)"
        let response = try transport.send(.HEAD, "/v2/\(repository)/manifests/\(reference)", headers: headers, scopes: [RegistryTransport.scope(repository)], what: what)
        if response.status == .notFound { return nil }
        try expect(response, [.ok], what)
        if let announced = response.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init),
           let length = response.headers.first(name: "Content-Length").flatMap(Int64.init),
           let type = response.headers.first(name: "Content-Type").map(Self.bareType), Self.manifestTypes.contains(type) {
            if let named = Digest(reference), named != announced {
                throw BullaError(.digestMismatch, "\(registry) answered \(what) with digest \(announced)")
            }
            guard length <= options.limits.maxManifestBytes else {
                throw BullaError(.limitExceeded, "\(what) from \(registry) is \(length) bytes, more than the limit of \(options.limits.maxManifestBytes)")
            }
            return Descriptor(mediaType: type, digest: announced, size: length)
        }
        return try manifest(repository, reference)?.descriptor
    }

    /// Stores a manifest under `reference` (a tag, or its digest).
    @discardableResult
    public func putManifest(_ repository: String, _ reference: String, bytes: [UInt8], mediaType: String) throws -> Descriptor {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: mediaType)
        let what = "manifest \(repository):\(reference)"
        let response = try transport.send(
            .PUT, "/v2/\(repository)/manifests/\(reference)", headers: headers, body: { bytes },
            scopes: [RegistryTransport.scope(repository, push: true)], what: "storing \(what)")
        try expect(response, [.created, .ok, .accepted], "storing \(what)")
        try checkAnnounced(response.headers, against: bytes, "stored \(what)")
        return Descriptor(mediaType: mediaType, digest: Digest.compute(.sha256, over: bytes), size: Int64(bytes.count))
    }

    // MARK: Blobs

    /// Whether the repository already has the blob (HEAD), so copy and sign skip uploading it again.
    public func blobExists(_ repository: String, _ descriptor: Descriptor) throws -> Bool {
        let what = "blob \(descriptor.digest.abbreviated) in \(repository)"
        let response = try transport.send(.HEAD, "/v2/\(repository)/blobs/\(descriptor.digest)", scopes: [RegistryTransport.scope(repository)], what: what)
        if response.status == .notFound { return false }
        try expect(response, [.ok], what)
        return true
    }

    /// Streams the blob to `sink`, and throws after the last byte if it is not the
    /// descriptor's length and digest.
    public func readBlob(_ repository: String, _ descriptor: Descriptor, into sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        let what = "blob \(descriptor.digest) of \(repository)"
        let response = try transport.send(
            .GET, "/v2/\(repository)/blobs/\(descriptor.digest)", scopes: [RegistryTransport.scope(repository)], what: what,
            stream: ReceiveStream(expected: descriptor, sink: sink))
        if response.status == .notFound { throw BullaError(.notFound, "\(registry) has no \(what)") }
        try expect(response, [.ok], what)
        let location = "\(registry)/\(repository)"
        guard response.received == descriptor.size else { throw BlobCheck.sizeMismatch(descriptor, read: response.received, in: location) }
        guard let digest = response.digest, digest == descriptor.digest else {
            throw BlobCheck.digestMismatch(descriptor, found: response.digest ?? Digest.compute(descriptor.digest.algorithm, over: []), in: location)
        }
    }

    /// Tries to make `descriptor` appear in `repository` by mounting it from `source` on the
    /// same registry; false when the registry would rather have it uploaded.
    public func mountBlob(_ repository: String, _ descriptor: Descriptor, from source: String) throws -> Bool {
        let what = "mounting blob \(descriptor.digest.abbreviated) from \(source) into \(repository)"
        let query = "mount=\(descriptor.digest)&from=\(Self.escape(source))"
        let response = try transport.send(
            .POST, "/v2/\(repository)/blobs/uploads/?\(query)",
            scopes: [RegistryTransport.scope(repository, push: true), RegistryTransport.scope(source)], what: what)
        if response.status == .created { return true }
        try expect(response, [.accepted], what)
        // An upload was opened instead; it is left to expire, as the spec allows.
        return false
    }

    /// Uploads the blob `descriptor` names, reading it from `source`: in one request when it is
    /// at most the chunk size, else in chunks of that size (PATCH), closed by a PUT with the
    /// digest. The upload is abandoned before its final PUT if the content fails its check.
    ///
    /// A chunk is never simply sent again: the registry (or a proxy before it) may have stored
    /// it and still answered 5xx or dropped the connection, and a second copy would be refused
    /// (416) or appended, and a registry may cancel an upload asked about at the wrong offset.
    /// A failed chunk abandons the upload instead, and the blob is uploaded again from its
    /// start in a new session (`read` is called again), up to the retry count.
    public func uploadBlob(_ repository: String, _ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?, from read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        var retry = transport.retryPolicy()
        while true {
            do {
                return try uploadBlobOnce(repository, descriptor, progress: progress, from: read)
            } catch let failed as ChunkFailed {
                guard retry.canRetry else {
                    throw BullaError(.ioFailure, "\(registry) failed a chunk of blob \(descriptor.digest.abbreviated) for \(repository) in \(retry.attempts + 1) uploads; last: \(failed.reason)")
                }
                try retry.wait(retryAfter: failed.retryAfter)
            }
        }
    }

    /// A chunk the registry did not acknowledge: its upload must start over.
    private struct ChunkFailed: Error {
        var reason: String
        var retryAfter: String?
    }

    private func uploadBlobOnce(_ repository: String, _ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?, from read: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let what = "uploading blob \(descriptor.digest.abbreviated) to \(repository)"
        let scopes = [RegistryTransport.scope(repository, push: true)]
        let started = try transport.send(.POST, "/v2/\(repository)/blobs/uploads/", scopes: scopes, what: what)
        try expect(started, [.accepted], what)
        var location = try uploadLocation(started, what)
        let chunkSize = options.chunkSize
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Int(min(Int64(chunkSize), descriptor.size)))
        var offset: Int64 = 0
        let chunked = descriptor.size > Int64(chunkSize)
        func sendChunk() throws {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Content-Range", value: "\(offset)-\(offset + Int64(buffer.count) - 1)")
            let chunk = buffer
            location = try uploadChunk(chunk, at: offset, to: location, headers: headers, scopes: scopes, what: what)
            offset += Int64(buffer.count)
            progress?(buffer.count)
            buffer.removeAll(keepingCapacity: true)
        }
        do {
            try read { piece in
                var rest = piece
                while !rest.isEmpty {
                    let take = min(rest.count, chunkSize - buffer.count)
                    buffer += rest.prefix(take)
                    rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                    if buffer.count == chunkSize && chunked { try sendChunk() }
                }
            }
            if chunked && !buffer.isEmpty { try sendChunk() }
        } catch {
            _ = try? transport.send(.DELETE, location, scopes: scopes, what: "abandoning an upload")
            throw error
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let tail = chunked ? [] : buffer
        let finish = try Self.adding("digest=\(descriptor.digest)", to: location)
        let response = try transport.send(.PUT, finish, headers: headers, body: { tail }, scopes: scopes, what: what)
        try expect(response, [.created, .noContent], what)
        if !tail.isEmpty { progress?(tail.count) }
        if let stored = response.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init), stored != descriptor.digest {
            throw BullaError(.digestMismatch, "\(registry) stored blob \(descriptor.digest) as \(stored)")
        }
    }

    // MARK: Tags and referrers

    /// Every tag of `repository`, following the `Link` header page by page.
    public func tags(_ repository: String, pageSize: Int = 1000) throws -> [String] {
        var tags: [String] = []
        var next: String? = "/v2/\(repository)/tags/list?n=\(pageSize)"
        var pages = 0
        while let target = next {
            pages += 1
            guard pages <= 10_000 else { throw BullaError(.limitExceeded, "\(registry) lists more than 10000 pages of tags for \(repository)") }
            let what = "tag list of \(repository)"
            let response = try transport.send(.GET, target, scopes: [RegistryTransport.scope(repository)], what: what, limit: 4 << 20)
            if response.status == .notFound { return [] }
            try expect(response, [.ok], what)
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
                throw BullaError(.malformedInput, "\(registry)'s \(what) is not a JSON object")
            }
            tags += (object["tags"] as? [String]) ?? []
            next = response.headers.first(name: "Link").flatMap { LinkHeader.next(in: $0) }
        }
        return tags
    }

    /// The referrers of `digest` from the referrers API, every page of it (the `Link` header);
    /// nil when the registry has no such API (404), so the fallback tag must be used. A list
    /// longer than `Limits/maxReferrers` is refused rather than cut, since the entries left
    /// unread could be the ones that matter.
    public func referrers(_ repository: String, of digest: Digest) throws -> [Descriptor]? {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: MediaType.ociIndex)
        let what = "referrers of \(digest.abbreviated) in \(repository)"
        var next: String? = "/v2/\(repository)/referrers/\(digest)"
        var found: [Descriptor] = []
        var pages = 0
        while let target = next {
            pages += 1
            let response = try transport.send(
                .GET, target, headers: headers, scopes: [RegistryTransport.scope(repository)], what: what, limit: options.limits.maxManifestBytes)
            if response.status == .notFound && pages == 1 { return nil }
            try expect(response, [.ok], what)
            found += try JSONDocument.decode(ImageIndex.self, from: response.body, what: "\(registry) \(what)", limits: options.limits).manifests
            guard found.count <= options.limits.maxReferrers, pages <= Self.maxReferrerPages else {
                throw BullaError(
                    .limitExceeded,
                    "\(registry) lists at least \(found.count) referrers of \(digest.abbreviated) in \(repository) over \(pages) page(s); Bulla reads at most \(options.limits.maxReferrers) referrers in \(Self.maxReferrerPages) pages")
            }
            next = response.headers.first(name: "Link").flatMap { LinkHeader.next(in: $0) }
        }
        return found
    }

    /// The most pages of one referrers list read.
    static let maxReferrerPages = 100

    // MARK: Helpers

    /// PATCHes one chunk and returns the upload's next location; throws `ChunkFailed` when the
    /// answer is 429 or 5xx, or the connection drops, so the caller starts the upload over.
    private func uploadChunk(
        _ chunk: [UInt8], at offset: Int64, to location: String, headers: HTTPHeaders, scopes: [String], what: String
    ) throws -> String {
        let response: RegistryTransport.Response
        do {
            response = try transport.send(.PATCH, location, headers: headers, body: { chunk }, scopes: scopes, what: what, resendable: false)
        } catch let error as BullaError where error.code == .unreachable {
            throw ChunkFailed(reason: "the chunk at offset \(offset): \(error.description)")
        }
        if RetryPolicy.isTransient(response.status.code) {
            throw ChunkFailed(
                reason: "the chunk at offset \(offset): HTTP \(response.status.code)\(RegistryTransport.said(response.body))",
                retryAfter: response.headers.first(name: "Retry-After"))
        }
        try expect(response, [.accepted, .noContent], what)
        return try uploadLocation(response, what)
    }

    private func expect(_ response: RegistryTransport.Response, _ statuses: [HTTPResponseStatus], _ what: String) throws {
        guard statuses.contains(response.status) else {
            throw BullaError(.ioFailure, "\(registry) answered HTTP \(response.status.code) to \(what)\(RegistryTransport.said(response.body))")
        }
    }

    /// A registry that names the digest of what it served or stored must name this one.
    private func checkAnnounced(_ headers: HTTPHeaders, against bytes: [UInt8], _ what: String) throws {
        guard let announced = headers.first(name: "Docker-Content-Digest"), let digest = Digest(announced) else { return }
        let computed = Digest.compute(digest.algorithm, over: bytes)
        guard computed == digest else {
            throw BullaError(.digestMismatch, "\(registry) says \(what) is \(digest), but its bytes hash to \(computed)")
        }
    }

    private func uploadLocation(_ response: RegistryTransport.Response, _ what: String) throws -> String {
        guard let location = response.headers.first(name: "Location"), !location.isEmpty else {
            throw BullaError(.malformedInput, "\(registry) gave no upload Location for \(what)")
        }
        return location.hasPrefix("http") ? location : transport.base + (location.hasPrefix("/") ? "" : "/") + location
    }

    static func bareType(_ contentType: String) -> String {
        String(contentType.prefix { $0 != ";" }).trimmingSpaces.lowercased()
    }

    /// The media type a manifest response carries: its `Content-Type`, or else the document's
    /// own `mediaType`.
    static func mediaType(of bytes: [UInt8], header: String?, what: String) throws -> String {
        if let header, manifestTypes.contains(bareType(header)) { return bareType(header) }
        struct Typed: Decodable { let mediaType: String? }
        if let typed = try? JSONDecoder().decode(Typed.self, from: Data(bytes)), let type = typed.mediaType, manifestTypes.contains(type) {
            return type
        }
        throw BullaError(.unsupported, "\(what) is not an OCI or Docker manifest or index (Content-Type \(header ?? "none"))")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
    }

    static func adding(_ query: String, to location: String) throws -> String {
        location + (location.contains("?") ? "&" : "?") + query
    }
}
