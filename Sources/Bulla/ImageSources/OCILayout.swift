import BullaCrypto

/// An OCI image layout (image-layout.md), read from a directory or an archive.
struct OCILayout<Storage: LayoutStorage>: ImageSource {
    /// How the reference picks one entry of `index.json`.
    enum Selection: Sendable {
        /// `oci:DIR:TAG`: the entry whose `org.opencontainers.image.ref.name` is TAG; with no
        /// tag, the only entry.
        case tag(String?)
        /// A docker archive holding a layout (Docker 25+): a name matched against
        /// `io.containerd.image.name`, or a position.
        case docker(ImageReference.DockerArchiveSelector?)
    }

    let reference: ImageReference
    let storage: Storage
    let selection: Selection
    let limits: Limits
    let index: ImageIndex

    init(reference: ImageReference, storage: Storage, selection: Selection, limits: Limits) throws {
        self.reference = reference
        self.storage = storage
        self.selection = selection
        self.limits = limits
        try Self.checkLayoutMarker(storage, limits: limits)
        index = try JSONDocument.decode(
            ImageIndex.self, from: try Self.required(storage, "index.json", limits: limits),
            what: "\(storage.location) index.json", limits: limits)
        guard index.schemaVersion == 2 else {
            throw BullaError(.unsupported, "\(storage.location) index.json has schemaVersion \(index.schemaVersion); only 2 is defined")
        }
    }

    func topLevelDescriptors() throws -> [Descriptor] { index.manifests }

    func rootDescriptor() throws -> Descriptor {
        switch selection {
        case .tag(let tag?):
            return try only(index.manifests.filter { $0.referenceName == tag }, "tag \"\(tag)\"")
        case .docker(.name(let name)?):
            let wanted = try DockerReference(parsing: name)
            return try only(index.manifests.filter { entry in
                entry.annotations?[AnnotationKey.containerdImageName].flatMap { try? DockerReference(parsing: $0) } == wanted
            }, "image \(wanted)")
        case .docker(.position(let n)?):
            guard n < index.manifests.count else {
                throw BullaError(.notFound, "\(storage.location) has \(index.manifests.count) images; there is no @\(n)")
            }
            return index.manifests[n]
        case .tag(nil), .docker(nil):
            // Signatures stored beside an image (referrers, `sha256-….sig/.att` tags) are not
            // what an untagged reference means.
            return try only(index.manifests.filter { !Self.isSignatureEntry($0) }, nil)
        }
    }

    func contents(of descriptor: Descriptor, limit: Int) throws -> [UInt8] {
        guard descriptor.size <= limit else { throw BlobCheck.tooLarge(descriptor, limit: limit, in: storage.location) }
        // Read one byte past the declared size so a longer blob is seen as a size mismatch.
        let bytes: [UInt8]
        do {
            bytes = try storage.blob(descriptor.digest, limit: Int(min(descriptor.size, Descriptor.maxSize)) + 1)
        } catch let error where error.bullaCode == .limitExceeded {
            throw BlobCheck.sizeMismatch(descriptor, read: min(descriptor.size, Descriptor.maxSize) + 1, in: storage.location).prefixed("longer than declared")
        }
        try BlobCheck.verify(bytes, against: descriptor, in: storage.location)
        return bytes
    }

    func verify(_ descriptor: Descriptor, progress: (@Sendable (Int) -> Void)?) throws {
        try storage.verifyBlob(descriptor, progress: progress)
    }

    func read(_ descriptor: Descriptor, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try storage.readBlob(descriptor, into: sink)
    }

    /// A referrer (it has an artifactType) or a cosign tag (`sha256-<hex>`, `.sig`, `.att`).
    static func isSignatureEntry(_ entry: Descriptor) -> Bool {
        if entry.artifactType != nil { return true }
        guard let tag = entry.referenceName, tag.hasPrefix("sha256-") else { return false }
        let hex = tag.dropFirst(7).prefix { $0 != "." }
        return hex.count == 64 && ["", ".sig", ".att"].contains(String(tag.dropFirst(7 + 64)))
    }

    private func only(_ matches: [Descriptor], _ what: String?) throws -> Descriptor {
        if matches.count == 1 { return matches[0] }
        let tags = index.manifests.compactMap(\.referenceName)
        let known = tags.isEmpty ? "it has no tagged entries" : "its tags: \(tags.joined(separator: ", "))"
        guard let what else {
            if matches.isEmpty { throw BullaError(.notFound, "\(storage.location) index.json lists no manifests") }
            throw BullaError(.invalidArgument, "\(storage.location) holds \(matches.count) manifests; name one as \(reference):TAG (\(known))")
        }
        if matches.isEmpty { throw BullaError(.notFound, "\(storage.location) has no \(what) (\(known))") }
        throw BullaError(.malformedInput, "\(storage.location) has \(matches.count) entries for \(what)")
    }

    private static func required(_ storage: Storage, _ path: String, limits: Limits) throws -> [UInt8] {
        do {
            return try storage.file(path, limit: limits.maxManifestBytes)
        } catch let error where error.bullaCode == .notFound {
            throw BullaError(.notFound, "\(storage.location) is not an OCI image layout: it has no \(path)")
        }
    }

    /// `oci-layout` must exist and name version 1.0.0 (image-layout.md "oci-layout file").
    private static func checkLayoutMarker(_ storage: Storage, limits: Limits) throws {
        let marker = try JSONDocument.decode(
            LayoutMarker.self, from: try required(storage, "oci-layout", limits: limits),
            what: "\(storage.location) oci-layout", limits: limits)
        guard marker.imageLayoutVersion == "1.0.0" else {
            throw BullaError(.unsupported, "\(storage.location) has imageLayoutVersion \"\(marker.imageLayoutVersion)\"; Bulla reads 1.0.0")
        }
    }
}

/// The `oci-layout` file.
private struct LayoutMarker: Decodable {
    let imageLayoutVersion: String
}
