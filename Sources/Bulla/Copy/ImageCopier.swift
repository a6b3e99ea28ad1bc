import BullaCrypto
import Dispatch
import Synchronization

/// Copies an image — with every child of an index — and everything stored beside it
/// (referrers such as signature and attestation bundles, cosign's `.sig` and `.att` tags)
/// from a source to a destination: the air-gap mirror.
///
/// Blobs are streamed and checked against their digests, several at a time, and skipped when
/// the destination has them. Manifests follow their content, children before parents, and the
/// destination's ``ImageDestination/commit()`` comes last, so a layout shows the copy whole or
/// not at all. Digests never change: manifests are copied as the exact bytes read.
public struct ImageCopier {
    /// Where the image and its companions are read from.
    public let source: any ImageSource
    /// Where they are written: a layout (committed at the end) or a registry.
    public let destination: any ImageDestination
    /// Blobs copied at once.
    public var jobs = 4
    /// (bytes done, bytes to copy), as blobs stream.
    public var progress: (@Sendable (Int64, Int64) -> Void)?

    /// A copier with 4 jobs and no progress; set `jobs` and `progress` before `copy(tag:)`.
    public init(from source: any ImageSource, to destination: any ImageDestination) {
        self.source = source
        self.destination = destination
    }

    /// What a copy did.
    public struct Report: Sendable {
        /// The descriptor of the top manifest or index copied: what the destination now holds.
        public var root: Descriptor
        /// Manifests and indexes stored, children and companions included.
        public var manifests = 0
        /// Blobs streamed across because the destination lacked them.
        public var blobsCopied = 0
        /// Blobs skipped because the destination already had them: what makes a re-run cheap.
        public var blobsPresent = 0
        /// Bytes of the blobs streamed across (present ones not counted).
        public var bytesCopied: Int64 = 0
        /// Each companion carried, as "referrer sha256:… of sha256:…" or "tag sha256-….sig".
        public var companions: [String] = []
    }

    /// A manifest to store, in the order stored: its content is stored before it is.
    private struct PendingManifest {
        var bytes: [UInt8]
        var descriptor: Descriptor
        var name: ManifestName
        /// Set for a referrer: the image it refers to.
        var subject: Digest?
    }

    private struct Plan {
        var manifests: [PendingManifest] = []
        var blobs: [Descriptor] = []
        var seenBlobs: Set<Digest> = []
        var seenManifests: Set<Digest> = []
        var companions: [String] = []
        var budget: DescriptorBudget
    }

    /// Copies the source's image, storing it at the top of the destination under `tag` (or
    /// untagged when nil).
    @discardableResult
    public func copy(tag: String?) throws -> Report {
        let root = try source.rootDescriptor()
        var plan = Plan(budget: DescriptorBudget(limits: source.limits, reference: source.reference.description))
        var images: [Digest]? = []
        try collect(root, name: .top(tag: tag), depth: 0, into: &plan, images: &images)
        for image in images ?? [] {
            try collectCompanions(of: image, into: &plan)
        }
        var report = Report(root: root)
        try copyBlobs(plan.blobs, report: &report)
        for manifest in plan.manifests {
            try destination.putManifest(manifest.bytes, mediaType: manifest.descriptor.mediaType, as: manifest.name)
            if let subject = manifest.subject {
                try destination.addReferrers([manifest.descriptor], of: subject)
            }
        }
        try destination.commit()
        report.manifests = plan.manifests.count
        report.companions = plan.companions
        return report
    }

    /// Walks the manifest tree under `descriptor`, children first; `images` gets every
    /// manifest and index digest whose companions are wanted too.
    private func collect(_ descriptor: Descriptor, name: ManifestName, depth: Int, into plan: inout Plan, images: inout [Digest]?) throws {
        try plan.budget.checkDepth(depth, limits: source.limits)
        try plan.budget.spend()
        guard plan.seenManifests.insert(descriptor.digest).inserted || name != .child else { return }
        let bytes = try source.contents(of: descriptor, limit: source.limits.maxManifestBytes)
        let document = try ManifestDocument(bytes: bytes, descriptor: descriptor, limits: source.limits)
        images?.append(descriptor.digest)
        switch document.content {
        case .index(let index):
            for child in index.manifests {
                if MediaType.kind(of: child.mediaType) != nil {
                    try collect(child, name: .child, depth: depth + 1, into: &plan, images: &images)
                } else {
                    addBlob(child, to: &plan)
                }
            }
        case .image(let manifest):
            addBlob(manifest.config, to: &plan)
            try plan.budget.spend(1 + manifest.layers.count)
            manifest.layers.forEach { addBlob($0, to: &plan) }
        }
        plan.manifests.append(PendingManifest(bytes: bytes, descriptor: descriptor, name: name, subject: nil))
    }

    private func addBlob(_ descriptor: Descriptor, to plan: inout Plan) {
        if plan.seenBlobs.insert(descriptor.digest).inserted { plan.blobs.append(descriptor) }
    }

    /// The referrers of `image` the source lists or keeps in the fallback tag (those whose
    /// `subject` really is `image`), and its `.sig` and `.att` tags.
    private func collectCompanions(of image: Digest, into plan: inout Plan) throws {
        let fallbackTag = CosignStorage.tag(for: image, suffix: "")
        var candidates = try source.referrers(of: image) ?? []
        if let fallback = try source.descriptor(tagged: fallbackTag), case .index(let index) = try source.manifest(fallback).content {
            candidates += index.manifests
        }
        try SignatureFinder.checkCandidateCount(candidates.count, of: image, in: source)
        var none: [Digest]?
        for candidate in candidates where MediaType.kind(of: candidate.mediaType) == .image && !plan.seenManifests.contains(candidate.digest) {
            guard case .image(let manifest) = try source.manifest(candidate).content, manifest.subject?.digest == image else { continue }
            var referrer = candidate
            referrer.artifactType = manifest.artifactType ?? candidate.artifactType ?? manifest.config.mediaType
            referrer.annotations = manifest.annotations ?? candidate.annotations
            try collect(candidate, name: .child, depth: 0, into: &plan, images: &none)
            plan.manifests[plan.manifests.count - 1].descriptor = referrer
            plan.manifests[plan.manifests.count - 1].subject = image
            plan.companions.append("referrer \(candidate.digest.abbreviated) of \(image.abbreviated)")
        }
        for suffix in [".sig", ".att"] {
            let tag = fallbackTag + suffix
            guard let tagged = try source.descriptor(tagged: tag) else { continue }
            try collect(tagged, name: .top(tag: tag), depth: 0, into: &plan, images: &none)
            plan.companions.append("tag \(tag)")
        }
    }

    /// Streams the blobs the destination lacks, `jobs` at a time, largest first so the
    /// streams finish together.
    private func copyBlobs(_ blobs: [Descriptor], report: inout Report) throws {
        var missing: [Descriptor] = []
        for blob in blobs {
            if try destination.contains(blob) { report.blobsPresent += 1 } else { missing.append(blob) }
        }
        missing.sort { $0.size > $1.size }
        let queue = missing
        let total = missing.reduce(Int64(0)) { $0 + $1.size }
        let done = Atomic<Int64>(0)
        let next = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)
        let progress = self.progress
        let work = UncheckedBox((source, destination))
        progress?(0, total)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, missing.count))) { _ in
            while failure.withLock({ $0 == nil }) {
                let n = next.add(1, ordering: .relaxed).oldValue
                guard n < queue.count else { return }
                do {
                    try work.value.1.putBlob(queue[n], from: work.value.0) { count in
                        let now = done.add(Int64(count), ordering: .relaxed).newValue
                        progress?(now, total)
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        report.blobsCopied = missing.count
        report.bytesCopied = total
    }
}

/// Hands a value to worker threads that the caller knows use it safely (here: a destination
/// whose `putBlob(_:from:progress:)` may run on several threads at once).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
