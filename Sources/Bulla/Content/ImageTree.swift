import BullaCrypto

/// One node of the tree `bulla inspect` shows: index → manifests → config and layers.
public struct ImageNode: Codable, Sendable {
    /// What a node is to its parent: a document (index, manifest) or an image's config or layer.
    public enum Role: String, Codable, Sendable {
        case index, manifest, config, layer, blob
    }

    /// The node's role; `blob` for an index entry that is not a manifest or index.
    public var role: Role
    /// The media type of the descriptor that referenced this node.
    public var mediaType: String
    /// The digest of the descriptor that referenced this node (checked for documents).
    public var digest: Digest
    /// The size the referencing descriptor declares.
    public var size: Int64
    /// The descriptor's platform, how an index entry says which image it is for.
    public var platform: Platform?
    /// The document's own `artifactType`, else the descriptor's: what a referrer is (a bundle…).
    public var artifactType: String?
    /// The document's own annotations if any, else the descriptor's (never merged).
    public var annotations: [String: String]?
    /// The manifest this one refers to, for referrers (signatures, attestations).
    public var subject: Digest?
    /// An index's entries in order, or a manifest's config then layers; empty for leaves.
    public var children: [ImageNode]

    /// Total size of this node and everything below it, counting shared blobs once per use.
    /// Each size is at most ``Descriptor/maxSize`` and a tree at most ``Limits/maxDescriptors``
    /// nodes, so the sum cannot overflow.
    public var totalSize: Int64 { size + children.reduce(0) { $0 + $1.totalSize } }
}

/// The versioned result of `bulla inspect --output json` (spec/image-references.md).
public struct ImageTree: Codable, Sendable {
    /// The report's versioned media type; a change of its meaning gets a new version.
    public static let mediaType = "application/vnd.bulla.inspect.v1+json"
    /// Always ``mediaType``, so a reader can check the version before the rest.
    public var mediaType = ImageTree.mediaType
    /// The reference as printed (spec/image-references.md, "Parsing").
    public var reference: String
    /// The manifest or index the reference (and `--platform`) selects, with all below it.
    public var root: ImageNode
    /// What is attached to the root (signatures, attestations, referrers), when looked for.
    public var attachments: [Attachment]?

    /// Reads every manifest reachable from the reference (verifying each), but no layer bytes.
    /// Each manifest is read once however often it is listed, and the tree is refused past
    /// ``Limits/maxDescriptors`` nodes or ``Limits/maxIndexDepth`` levels.
    public init(source: any ImageSource, platform: Platform? = nil) throws {
        reference = source.reference.description
        let document = try source.resolve(platform: platform)
        var walk = Walk(source: source)
        try walk.budget.spend()
        root = try walk.node(for: document, role: nil, depth: 0)
    }

    /// The walk's state: the budget, and each manifest's subtree by digest.
    private struct Walk {
        let source: any ImageSource
        var budget: DescriptorBudget
        var built: [Digest: (node: ImageNode, count: Int)] = [:]

        init(source: any ImageSource) {
            self.source = source
            budget = DescriptorBudget(limits: source.limits, reference: source.reference.description)
        }

        mutating func node(for document: ManifestDocument, role: ImageNode.Role?, depth: Int) throws -> ImageNode {
            var node = ImageTree.leaf(document.descriptor, role: role ?? (document.kind == .index ? .index : .manifest))
            switch document.content {
            case .index(let index):
                try budget.checkDepth(depth + 1, limits: source.limits)
                node.artifactType = index.artifactType ?? node.artifactType
                node.annotations = ImageTree.merged(node.annotations, index.annotations)
                node.subject = index.subject?.digest
                node.children = try index.manifests.map { child in try self.child(child, depth: depth) }
            case .image(let manifest):
                try budget.spend(1 + manifest.layers.count)
                node.artifactType = manifest.artifactType ?? node.artifactType
                node.annotations = ImageTree.merged(node.annotations, manifest.annotations)
                node.subject = manifest.subject?.digest
                node.children = [ImageTree.leaf(manifest.config, role: .config)] + manifest.layers.map { ImageTree.leaf($0, role: .layer) }
            }
            return node
        }

        /// An index entry: read once, and shown again from memory where it is listed again.
        private mutating func child(_ child: Descriptor, depth: Int) throws -> ImageNode {
            try budget.spend()
            guard let kind = MediaType.kind(of: child.mediaType) else { return ImageTree.leaf(child, role: .blob) }
            var childNode: ImageNode
            if let seen = built[child.digest] {
                try budget.spend(seen.count)
                childNode = seen.node
            } else {
                let before = budget.spent
                childNode = try node(for: try source.manifest(child), role: kind == .index ? .index : .manifest, depth: depth + 1)
                built[child.digest] = (childNode, budget.spent - before)
            }
            childNode.platform = child.platform
            return childNode
        }
    }

    /// The descriptor's annotations (a tag, say) with the document's own added.
    fileprivate static func merged(_ descriptor: [String: String]?, _ document: [String: String]?) -> [String: String]? {
        guard let document else { return descriptor }
        return (descriptor ?? [:]).merging(document) { first, _ in first }
    }

    fileprivate static func leaf(_ descriptor: Descriptor, role: ImageNode.Role) -> ImageNode {
        ImageNode(
            role: role, mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
            platform: descriptor.platform, artifactType: descriptor.artifactType, annotations: descriptor.annotations,
            subject: nil, children: [])
    }
}
