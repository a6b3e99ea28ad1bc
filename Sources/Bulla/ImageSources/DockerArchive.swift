import BullaCrypto

/// A `docker save` / `podman save` tarball without an OCI layout inside (before Docker 25).
///
/// Such an archive stores no manifest. Bulla derives the one `skopeo inspect --raw
/// docker-archive:FILE` prints, byte for byte (spec/image-references.md): Docker schema 2, the
/// config as stored, and one layer per diff ID of the config, with the expanded layer size and
/// the media type `…rootfs.diff.tar.gzip`.
struct DockerArchive: ImageSource {
    let reference: ImageReference
    let limits: Limits
    private let catalog: ArchiveCatalog
    private let images: [ArchiveImage]
    private let selector: ImageReference.DockerArchiveSelector?

    /// One image of `manifest.json` with its derived manifest.
    private struct ArchiveImage: Sendable {
        let tags: [String]
        let manifest: [UInt8]
        let descriptor: Descriptor
        let config: Descriptor
        let configName: String
        /// Diff ID → archive path of the layer file.
        let layers: [Digest: String]
    }

    /// One element of `manifest.json`.
    private struct ManifestEntry: Decodable {
        let Config: String
        let RepoTags: [String]?
        let Layers: [String]
    }

    private struct ImageConfig: Decodable {
        struct RootFS: Decodable {
            let type: String
            let diff_ids: [Digest]
        }
        let rootfs: RootFS
    }

    init(reference: ImageReference, catalog: ArchiveCatalog, selector: ImageReference.DockerArchiveSelector?, limits: Limits) throws {
        self.reference = reference
        self.catalog = catalog
        self.selector = selector
        self.limits = limits
        guard catalog.contains("manifest.json") else {
            throw BullaError(.notFound, "\(catalog.path) is not a docker archive: it has no manifest.json (and no OCI index.json)")
        }
        let entries = try JSONDocument.decode(
            [ManifestEntry].self, from: try catalog.file("manifest.json", limit: limits.maxManifestBytes),
            what: "\(catalog.path) manifest.json", limits: limits)
        images = try entries.map { try Self.image(for: $0, in: catalog, limits: limits) }
    }

    func rootDescriptor() throws -> Descriptor { try selected().descriptor }

    func topLevelDescriptors() throws -> [Descriptor] { images.map(\.descriptor) }

    func contents(of descriptor: Descriptor, limit: Int) throws -> [UInt8] {
        guard descriptor.size <= limit else { throw BlobCheck.tooLarge(descriptor, limit: limit, in: catalog.path) }
        if let image = images.first(where: { $0.descriptor.digest == descriptor.digest }) {
            try BlobCheck.verify(image.manifest, against: descriptor, in: catalog.path)
            return image.manifest
        }
        if let image = images.first(where: { $0.config.digest == descriptor.digest }) {
            let bytes = try catalog.file(image.configName, limit: limit)
            try BlobCheck.verify(bytes, against: descriptor, in: catalog.path)
            return bytes
        }
        throw BullaError(.notFound, "blob \(descriptor.digest) is not in \(catalog.path)")
    }

    func verify(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws {
        if let path = images.lazy.compactMap({ $0.layers[descriptor.digest] }).first {
            guard let file = catalog.entry(path) else { throw BullaError(.notFound, "layer \(descriptor.digest) is missing from \(catalog.path) (no \(path))") }
            // A layer's digest is its diff ID: the digest of the expanded tar.
            let expanded = file.expanded ?? (file.digest, file.size)
            try ArchiveCatalog.compare(expanded.size, expanded.digest, against: descriptor, in: catalog.path)
            progress?(Int(file.size))
            return
        }
        _ = try contents(of: descriptor, limit: max(limits.maxConfigBytes, limits.maxManifestBytes))
        progress?(Int(descriptor.size))
    }

    private func selected() throws -> ArchiveImage {
        switch selector {
        case nil:
            guard images.count == 1 else {
                let tags = images.flatMap(\.tags)
                throw BullaError(
                    images.isEmpty ? .notFound : .invalidArgument,
                    "\(catalog.path) holds \(images.count) images; name one as \(reference):REPO:TAG or :@N\(tags.isEmpty ? "" : " (tags: \(tags.joined(separator: ", ")))")")
            }
            return images[0]
        case .position(let n):
            guard n < images.count else { throw BullaError(.notFound, "\(catalog.path) has \(images.count) images; there is no @\(n)") }
            return images[n]
        case .name(let name):
            let wanted = try DockerReference(parsing: name)
            guard let image = images.first(where: { $0.tags.contains { (try? DockerReference(parsing: $0)) == wanted } }) else {
                throw BullaError(.notFound, "\(catalog.path) has no image \(wanted) (tags: \(images.flatMap(\.tags).joined(separator: ", ")))")
            }
            return image
        }
    }

    private static func image(for entry: ManifestEntry, in catalog: ArchiveCatalog, limits: Limits) throws -> ArchiveImage {
        let configName = try ArchivePath.normalize(Array(entry.Config.utf8), in: catalog.path)
        let configBytes = try catalog.file(configName, limit: limits.maxConfigBytes)
        let config = try JSONDocument.decode(
            ImageConfig.self, from: configBytes, what: "\(catalog.path) config \(configName)", limits: limits, maxBytes: limits.maxConfigBytes)
        guard config.rootfs.diff_ids.count == entry.Layers.count else {
            throw BullaError(
                .malformedInput,
                "\(catalog.path): config \(configName) lists \(config.rootfs.diff_ids.count) diff IDs but manifest.json lists \(entry.Layers.count) layers")
        }
        var layers: [Digest: String] = [:]
        var descriptors: [Descriptor] = []
        for (diffID, layerName) in zip(config.rootfs.diff_ids, entry.Layers) {
            let name = try ArchivePath.normalize(Array(layerName.utf8), in: catalog.path)
            guard let file = catalog.entry(name) else {
                throw BullaError(.notFound, "\(catalog.path): layer \(layerName) named in manifest.json is missing")
            }
            layers[diffID] = layers[diffID] ?? name
            descriptors.append(Descriptor(mediaType: MediaType.dockerLayerGzip, digest: diffID, size: file.expanded?.size ?? file.size))
        }
        let configDescriptor = Descriptor(
            mediaType: MediaType.dockerConfig, digest: Digest.compute(.sha256, over: configBytes), size: Int64(configBytes.count))
        let manifest = Self.manifestBytes(config: configDescriptor, layers: descriptors)
        let descriptor = Descriptor(
            mediaType: MediaType.dockerManifest, digest: Digest.compute(.sha256, over: manifest), size: Int64(manifest.count))
        return ArchiveImage(tags: entry.RepoTags ?? [], manifest: manifest, descriptor: descriptor, config: configDescriptor, configName: configName, layers: layers)
    }

    /// The exact bytes skopeo derives: compact JSON, keys in this order, no trailing newline.
    static func manifestBytes(config: Descriptor, layers: [Descriptor]) -> [UInt8] {
        func descriptor(_ d: Descriptor) -> String {
            "{\"mediaType\":\"\(d.mediaType)\",\"size\":\(d.size),\"digest\":\"\(d.digest)\"}"
        }
        let text = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.dockerManifest)\",\"config\":\(descriptor(config)),"
            + "\"layers\":[\(layers.map(descriptor).joined(separator: ","))]}"
        return Array(text.utf8)
    }
}
