import BullaCrypto
import Dispatch
import Synchronization

/// Re-hashes every blob reachable from an image and checks each against its descriptor.
///
/// Manifests are read (and so checked) while walking; configs, layers and other blobs are then
/// streamed on `jobs` threads, largest first so the threads finish together.
public struct ContentVerifier: Sendable {
    /// The image whose blobs are checked; its limits bound the walk.
    public let source: any ImageSource
    /// How many blobs are hashed at once (at least 1): `verify-content --jobs`.
    public let jobs: Int

    /// A verifier of `source` hashing `jobs` blobs at once.
    public init(source: any ImageSource, jobs: Int = ContentVerifier.defaultJobs) {
        self.source = source
        self.jobs = max(1, jobs)
    }

    /// The cores available, at most 8: the default of `verify-content --jobs` (spec/image-references.md).
    public static var defaultJobs: Int { max(1, min(ProcessInfoShim.activeProcessorCount, 8)) }

    /// Verifies everything reachable from `roots` (default: what the reference names; for an
    /// untagged layout of several entries, all of them). `progress` gets (bytes done, total).
    public func verify(
        roots explicitRoots: [Descriptor]? = nil,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) throws -> ContentReport {
        let roots = try explicitRoots ?? defaultRoots()
        var walk = Walk(source: source)
        for root in roots { try walk.visit(root, parent: nil, depth: 0) }
        let failures = Mutex(walk.failures)
        let items = walk.blobs.sorted { $0.descriptor.size > $1.descriptor.size }
        // At most maxDescriptors sizes of at most Descriptor.maxSize each: no overflow.
        let total = items.reduce(0) { $0 + $1.descriptor.size }
        let done = Atomic<Int64>(0)
        let next = Atomic<Int>(0)
        let source = self.source
        DispatchQueue.concurrentPerform(iterations: min(jobs, max(items.count, 1))) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < items.count else { return }
                let item = items[i]
                do {
                    try source.verify(item.descriptor) { count in
                        let now = done.wrappingAdd(Int64(count), ordering: .relaxed).newValue
                        progress?(now, total)
                    }
                } catch {
                    failures.withLock { $0.append(ContentReport.Failure(item, error)) }
                }
            }
        }
        var report = ContentReport(reference: source.reference.description, roots: roots.map(\.digest))
        report.blobs = walk.seen.count
        report.bytes = walk.manifestBytes + total
        report.failures = failures.withLock { $0 }.sorted { walk.order[$0.digest, default: 0] < walk.order[$1.digest, default: 0] }
        return report
    }

    private func defaultRoots() throws -> [Descriptor] {
        do {
            return [try source.rootDescriptor()]
        } catch let error where error.bullaCode == .invalidArgument {
            // An untagged layout of several images: check them all.
            return try source.topLevelDescriptors()
        }
    }

    /// The manifest walk, collecting the blobs still to hash.
    fileprivate struct Walk {
        struct Item: Sendable {
            let descriptor: Descriptor
            let role: ImageNode.Role
            let parent: Digest?
        }

        let source: any ImageSource
        var blobs: [Item] = []
        var failures: [ContentReport.Failure] = []
        var seen: Set<Digest> = []
        var order: [Digest: Int] = [:]
        var manifestCount = 0
        var manifestBytes: Int64 = 0
        var budget: DescriptorBudget

        init(source: any ImageSource) {
            self.source = source
            budget = DescriptorBudget(limits: source.limits, reference: source.reference.description)
        }

        /// `role` is given for config and layers; a manifest's role follows from its media type.
        mutating func visit(_ descriptor: Descriptor, role given: ImageNode.Role? = nil, parent: Digest?, depth: Int) throws {
            try budget.spend()
            guard seen.insert(descriptor.digest).inserted else { return }
            order[descriptor.digest] = order.count
            let kind = MediaType.kind(of: descriptor.mediaType)
            let role = given ?? (kind == .index ? .index : kind == .image ? .manifest : .blob)
            guard kind != nil, given == nil else {
                blobs.append(Item(descriptor: descriptor, role: role, parent: parent))
                return
            }
            try budget.checkDepth(depth, limits: source.limits)
            let document: ManifestDocument
            do {
                document = try source.manifest(descriptor)
            } catch let error where [.digestMismatch, .sizeMismatch, .notFound].contains(error.bullaCode) {
                failures.append(ContentReport.Failure(Item(descriptor: descriptor, role: role, parent: parent), error))
                return
            }
            manifestCount += 1
            manifestBytes += descriptor.size
            switch document.content {
            case .index(let index):
                for child in index.manifests {
                    try visit(child, parent: descriptor.digest, depth: depth + 1)
                }
            case .image(let manifest):
                try visit(manifest.config, role: .config, parent: descriptor.digest, depth: depth + 1)
                for layer in manifest.layers {
                    try visit(layer, role: .layer, parent: descriptor.digest, depth: depth + 1)
                }
            }
        }
    }
}

/// The versioned result of `bulla verify-content` (spec/image-references.md).
public struct ContentReport: Encodable, Sendable {
    /// The report's versioned media type; a change of its meaning gets a new version.
    public static let mediaType = "application/vnd.bulla.verify-content.v1+json"

    /// One blob or manifest that is missing or does not match its descriptor.
    public struct Failure: Codable, Sendable {
        /// The digest the referencing descriptor gives, i.e. what the content should hash to.
        public var digest: Digest
        /// What the content is to the image (manifest, config, layer, blob), to tell a user what is broken.
        public var role: ImageNode.Role
        /// The media type of the failing descriptor.
        public var mediaType: String
        /// The manifest that referenced the blob.
        public var parent: Digest?
        /// A `BullaError.Code` name: digestMismatch, sizeMismatch, notFound…
        public var reason: String
        /// The full message for people, with expected and found digest or size.
        public var message: String
    }

    /// Always ``mediaType``, written first so a reader can check the version.
    public var mediaType = ContentReport.mediaType
    /// The reference as printed (spec/image-references.md, "Parsing").
    public var reference: String
    /// The digests the walk started from: the selected manifest, or every top-level entry.
    public var roots: [Digest]
    /// Manifests read successfully plus every other blob checked, failed or not.
    public var blobs = 0
    /// The sum of the declared sizes of those manifests and blobs.
    public var bytes: Int64 = 0
    /// Each failure in the order its blob was first met in the walk.
    public var failures: [Failure] = []
    /// True exactly when nothing failed: the answer scripts check (and the exit code follows).
    public var verified: Bool { failures.isEmpty }

    private enum CodingKeys: String, CodingKey { case mediaType, reference, roots, blobs, bytes, failures, verified }

    init(reference: String, roots: [Digest]) {
        self.reference = reference
        self.roots = roots
    }

    /// Writes every field including the computed `verified`, as spec/image-references.md lists them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(reference, forKey: .reference)
        try container.encode(roots, forKey: .roots)
        try container.encode(blobs, forKey: .blobs)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(failures, forKey: .failures)
        try container.encode(verified, forKey: .verified)
    }
}

extension ContentReport.Failure {
    fileprivate init(_ item: ContentVerifier.Walk.Item, _ error: any Error) {
        digest = item.descriptor.digest
        role = item.role
        mediaType = item.descriptor.mediaType
        parent = item.parent
        reason = (error as? BullaError)?.code.name ?? BullaError.Code.internalFailure.name
        message = (error as? BullaError)?.description ?? "\(error)"
    }
}
