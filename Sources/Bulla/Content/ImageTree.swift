import BullaCrypto

/// One node of the tree `bulla inspect` shows: index → manifests → config and layers.
public struct ImageNode: Codable, Sendable {
    public enum Role: String, Codable, Sendable {
        case index, manifest, config, layer, blob
    }

    public var role: Role
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var platform: Platform?
    public var artifactType: String?
    public var annotations: [String: String]?
    /// The manifest this one refers to, for referrers (signatures, attestations).
    public var subject: Digest?
    public var children: [ImageNode]

    /// Total size of this node and everything below it, counting shared blobs once per use.
    public var totalSize: Int64 { size + children.reduce(0) { $0 + $1.totalSize } }
}

/// The versioned result of `bulla inspect --output json` (spec/image-references.md).
public struct ImageTree: Codable, Sendable {
    public static let mediaType = "application/vnd.bulla.inspect.v1+json"
    public var mediaType = ImageTree.mediaType
    public var reference: String
    public var root: ImageNode

    /// Reads every manifest reachable from the reference (verifying each), but no layer bytes.
    public init(source: any ImageSource, platform: Platform? = nil) throws {
        reference = source.reference.description
        let document = try source.resolve(platform: platform)
        root = try Self.node(for: document, role: nil, source: source, depth: 0)
    }

    private static func node(for document: ManifestDocument, role: ImageNode.Role?, source: any ImageSource, depth: Int) throws -> ImageNode {
        var node = leaf(document.descriptor, role: role ?? (document.kind == .index ? .index : .manifest))
        switch document.content {
        case .index(let index):
            guard depth < source.limits.maxIndexDepth else {
                throw BullaError(.limitExceeded, "\(source.reference): indexes nest deeper than \(source.limits.maxIndexDepth) levels")
            }
            node.artifactType = index.artifactType ?? node.artifactType
            node.annotations = Self.merged(node.annotations, index.annotations)
            node.subject = index.subject?.digest
            node.children = try index.manifests.map { child in
                guard let kind = MediaType.kind(of: child.mediaType) else { return leaf(child, role: .blob) }
                let childDocument = try source.manifest(child)
                var childNode = try self.node(for: childDocument, role: kind == .index ? .index : .manifest, source: source, depth: depth + 1)
                childNode.platform = child.platform
                return childNode
            }
        case .image(let manifest):
            node.artifactType = manifest.artifactType ?? node.artifactType
            node.annotations = Self.merged(node.annotations, manifest.annotations)
            node.subject = manifest.subject?.digest
            node.children = [leaf(manifest.config, role: .config)] + manifest.layers.map { leaf($0, role: .layer) }
        }
        return node
    }

    /// The descriptor's annotations (a tag, say) with the document's own added.
    private static func merged(_ descriptor: [String: String]?, _ document: [String: String]?) -> [String: String]? {
        guard let document else { return descriptor }
        return (descriptor ?? [:]).merging(document) { first, _ in first }
    }

    private static func leaf(_ descriptor: Descriptor, role: ImageNode.Role) -> ImageNode {
        ImageNode(
            role: role, mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
            platform: descriptor.platform, artifactType: descriptor.artifactType, annotations: descriptor.annotations,
            subject: nil, children: [])
    }
}
