import Bulla
import BullaCrypto
import BullaRegistry
import Synchronization

/// Where the webhook reads images and what is signed for them: the registries themselves, or,
/// air-gapped, a local mirror of OCI layouts made by `bulla copy` (`MIRROR/HOST/PATH`).
public final class ImageStore: Sendable {
    /// The two places the webhook can read images from, chosen by `bulla serve --mirror`.
    public enum Backing: Sendable {
        case registries(RegistryOptions)
        /// A directory holding one OCI layout per repository, at ``mirrorPath(of:)`` below it.
        case mirror(String)
    }

    /// Which of the two this store reads: registries (with their options) or a mirror directory.
    public let backing: Backing
    /// One client per registry, so connections and bearer tokens are reused across requests.
    private let clients = Mutex<[String: RegistryClient]>([:])

    /// A store reading from `backing`; registry clients are made on first use and then reused.
    public init(_ backing: Backing) {
        self.backing = backing
    }

    /// The source holding `image`'s repository.
    public func source(for image: RegistryReference) throws -> any ImageSource {
        switch backing {
        case .registries(let options):
            let client = try clients.withLock { clients in
                if let client = clients[image.registry] { return client }
                let client = try RegistryClient(for: image, options: options)
                clients[image.registry] = client
                return client
            }
            return RegistrySource(image, client: client)
        case .mirror(let root):
            let path = "\(root)/\(Self.mirrorPath(of: image))"
            do {
                return try LocalImages().open(.ociLayout(path: path, tag: nil))
            } catch let error as BullaError where error.code == .notFound || error.code == .ioFailure {
                throw BullaError(.notFound, "the mirror \(root) has no layout for \(image.name) (looked in \(path)): \(error.message)")
            }
        }
    }

    /// Where a mirror keeps `image`'s repository: `HOST/PATH`, with a port's `:` as `_` (an
    /// `oci:` reference ends its path at the first `:`), e.g. `registry.example_5000/team/app`.
    public static func mirrorPath(of image: RegistryReference) -> String {
        String(image.registry.map { $0 == ":" ? "_" : $0 }) + "/\(image.repository)"
    }

    /// The digest `image` names now: its own digest when pinned (checked to exist), else what
    /// its tag points at.
    public func digest(of image: RegistryReference, in source: any ImageSource) throws -> Digest {
        let found: Descriptor?
        switch (backing, image.digest) {
        case (.mirror, let digest?):
            found = try source.topLevelDescriptors().first { $0.digest == digest }
        case (_, let digest?):
            found = try source.descriptor(tagged: digest.description)
        case (_, nil):
            found = try source.descriptor(tagged: image.tag ?? "latest")
        }
        guard let found else {
            let where_ = if case .mirror(let root) = backing { "the mirror \(root)" } else { image.registry }
            throw BullaError(.notFound, "\(where_) has no manifest \(image.repository):\(image.manifestReference)")
        }
        if let digest = image.digest, found.digest != digest {
            throw BullaError(.digestMismatch, "\(image) resolved to \(found.digest)")
        }
        return found.digest
    }
}
