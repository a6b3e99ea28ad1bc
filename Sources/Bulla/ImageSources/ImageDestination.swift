import BullaCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Somewhere images, and what is stored beside them, are written: a layout, a registry.
///
/// Signing and copying write through this one interface, so both behave the same way wherever
/// the image lives. A destination may hold writes back until ``commit()`` (a layout publishes
/// everything with one replacement of `index.json`); a registry makes each visible at once.
public protocol ImageDestination: AnyObject {
    /// Where this is, for messages (`oci:/srv/mirror`, `docker://host/repo`).
    var location: String { get }

    /// Whether the destination already holds the content `descriptor` names.
    func contains(_ descriptor: Descriptor) throws -> Bool

    /// Stores small content held in memory (a signature layer, a config) as a blob.
    @discardableResult
    func putBlob(_ bytes: [UInt8], mediaType: String) throws -> Descriptor

    /// Copies the blob `descriptor` names from `source`, streamed and checked against the
    /// descriptor before it becomes visible. `progress` receives byte counts. A copy calls this
    /// from several threads at once.
    func putBlob(_ descriptor: Descriptor, from source: any ImageSource, progress: (@Sendable (Int) -> Void)?) throws

    /// Stores a manifest or index. Its blobs (or children) must be there already.
    @discardableResult
    func putManifest(_ bytes: [UInt8], mediaType: String, as name: ManifestName) throws -> Descriptor

    /// Makes `referrers` (manifests already stored, whose `subject` is `subject`) findable as
    /// that image's referrers: a layout lists them in `index.json`; a registry without the
    /// referrers API lists them in the `sha256-<hex>` fallback tag's index.
    func addReferrers(_ referrers: [Descriptor], of subject: Digest) throws

    /// The manifest or index `tag` names now, as written so far; nil when none does.
    func taggedManifest(_ tag: String) throws -> ManifestDocument?

    /// Makes every write visible.
    func commit() throws

    /// See ``updateTag(_:mediaType:attempts:merge:)``.
    var settleSeconds: Double { get }
}

/// How a stored manifest is reached.
public enum ManifestName: Sendable, Hashable {
    /// Through another manifest (an index's child, a referrer): stored by digest only.
    case child
    /// At the top: by `tag`, replacing what the tag named, or untagged.
    case top(tag: String?)
}

extension ImageDestination {
    /// How long another writer may take between reading a tag and writing it back; a tag
    /// update is confirmed only after looking again this much later. Nothing for a layout,
    /// whose writers hold a lock.
    public var settleSeconds: Double { 0 }

    /// Stores `bytes` under `tag`, or adds to what the tag already holds: `merge` gets the
    /// manifest the tag names now (nil if none) and returns the new bytes, or nil when what is
    /// there already holds everything this write adds. After writing, the tag is read again
    /// twice (four times once another writer has been seen), each after ``settleSeconds`` or
    /// four times the time this writer took from its read to its write, whichever is longer
    /// (jittered); if another writer replaced it meanwhile, the
    /// merge is redone on top of theirs, so neither write is lost to a writer that finished
    /// within that time.
    @discardableResult
    public func updateTag(
        _ tag: String, mediaType: String, attempts: Int = 8,
        merge: (ManifestDocument?) throws -> [UInt8]?
    ) throws -> Descriptor {
        var confirmed = 0
        // The longest this writer took from reading the tag to writing it: another writer on
        // the same machine, under the same load, may take as long or longer, so the wait before
        // looking again is four times that (when that is more than the settle time).
        var slowest = 0.0
        // Once another writer is seen (the tag names something other than what this one wrote),
        // more writers may be on their way: four confirming reads instead of two.
        var written: Digest?
        var contended = false
        for _ in 0..<(attempts * 3) {
            let started = ContinuousClock.now
            var current = try taggedManifest(tag)
            // A registry rewriting a tag's link in place can answer "unknown" while it does:
            // absence is believed only when it is read three times, a moment apart. Merging
            // onto a tag wrongly read as absent would drop every entry already in it.
            for _ in 0..<2 where current == nil && settleSeconds > 0 {
                usleep(UInt32(settleSeconds / 3 * Double.random(in: 0.5...1.5) * 1_000_000))
                current = try taggedManifest(tag)
            }
            if let written, current?.descriptor.digest != written { contended = true }
            if let bytes = try merge(current) {
                confirmed = 0
                written = try putManifest(bytes, mediaType: mediaType, as: .top(tag: tag)).digest
                slowest = max(slowest, Double((ContinuousClock.now - started).nanoseconds) / 1e9)
            } else if let current {
                confirmed += 1
                if confirmed == (contended ? 4 : 2) { return current.descriptor }
            } else {
                throw BullaError(.internalFailure, "nothing to write under tag \(tag)")
            }
            if settleSeconds > 0 {
                // Jittered, so writers that collided once do not collide again in step.
                usleep(UInt32(min(60, max(settleSeconds, 4 * slowest)) * Double.random(in: 0.5...1.5) * 1_000_000))
            }
        }
        throw BullaError(.ioFailure, "\(location): tag \(tag) kept changing under other writers (\(attempts) attempts)")
    }
}
