import BullaCrypto

/// Opens the source an ``ImageReference`` names.
public enum ImageSources {
    /// `progress` receives (bytes read, total bytes) while an archive is scanned.
    public static func open(
        _ reference: ImageReference,
        limits: Limits = .default,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) throws -> any ImageSource {
        switch reference {
        case .ociLayout(let path, let tag):
            return try OCILayout(reference: reference, storage: DirectoryStorage(root: path), selection: .tag(tag), limits: limits)
        case .ociArchive(let path, let tag):
            let catalog = try ArchiveCatalog.scan(path, limits: limits, progress: progress)
            return try OCILayout(reference: reference, storage: catalog, selection: .tag(tag), limits: limits)
        case .dockerArchive(let path, let selector):
            let catalog = try ArchiveCatalog.scan(path, limits: limits, decompressNested: true, progress: progress)
            if catalog.contains("index.json") && catalog.contains("oci-layout") {
                return try OCILayout(reference: reference, storage: catalog, selection: .docker(selector), limits: limits)
            }
            return try DockerArchive(reference: reference, catalog: catalog, selector: selector, limits: limits)
        case .registry(let name):
            // The core does no networking: BullaRegistry's RegistrySource reads registries.
            throw BullaError(.unsupported, "\(name) is in a registry: open it with BullaRegistry's RegistryImages (this opener reads layouts and archives only)")
        }
    }
}
