/// Bounds on what Bulla will read from an untrusted image, so hostile input costs bounded memory
/// and time. Every limit has a default that real images stay far below; the archive limits
/// (entries, bytes, ratio) can be raised from the CLI's `--limit-*` options for the rare image
/// that needs it, and any of them through the library.
public struct Limits: Sendable, Hashable {
    /// Largest manifest, index, `index.json` or `manifest.json` accepted. Registries refuse
    /// manifests over 4 MiB, so nothing real is larger.
    public var maxManifestBytes: Int = 4 << 20
    /// Largest image config read into memory (only docker-archive sources read one).
    public var maxConfigBytes: Int = 16 << 20
    /// Deepest nesting of JSON arrays and objects accepted in any document.
    public var maxJSONDepth: Int = 64
    /// Most index levels followed (index → index → manifest).
    public var maxIndexDepth: Int = 8
    /// Most entries in an archive, directories and links included.
    public var maxArchiveEntries: Int = 10_000
    /// Largest single archive entry, by its declared size.
    public var maxEntryBytes: Int64 = 64 << 30
    /// Most bytes an archive may expand to in all.
    public var maxArchiveBytes: Int64 = 256 << 30
    /// Most expanded bytes per compressed byte, checked once `ratioGrace` bytes have expanded.
    public var maxCompressionRatio: Double = 100
    /// Expanded bytes read before the ratio is enforced (small archives compress well).
    public var ratioGrace: Int64 = 16 << 20
    /// Most bytes of small JSON files an archive scan keeps in memory for later parsing.
    public var maxRetainedBytes: Int = 64 << 20
    /// Most descriptors one walk over an image visits (inspect, verify-content, copy, signing
    /// with `--recursive`), counting every index entry, config and layer: an index that lists
    /// the same child many times, a few levels deep, is refused instead of expanded.
    public var maxDescriptors: Int = 10_000
    /// Most signature and attestation candidates read for one image: referrers-API entries,
    /// fallback-index entries and `.sig`/`.att` layers together. More is refused rather than
    /// truncated, since reading only the first ones would let anyone who can push hide the
    /// real signature behind junk.
    public var maxReferrers: Int = 1_000
    /// Largest attestation bundle read into memory: it carries a whole SBOM.
    public var maxAttestationBytes: Int = 256 << 20
    /// Most bytes of signatures and attestations read for one image in all: each blob is read
    /// once however many referrers list it, and a thousand referrers of the largest size each
    /// cannot hold a verifier's memory hostage.
    public var maxEvidenceBytes: Int64 = 512 << 20

    /// The defaults, which real images stay far below (spec/limits.md, "Bounds").
    public init() {}

    /// The bounds used wherever a caller does not pass its own.
    public static let `default` = Limits()
}
