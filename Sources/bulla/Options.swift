import ArgumentParser
import Bulla
import BullaCrypto

/// The image argument and how to read it, shared by every command that reads an image.
///
/// The platform is here rather than in a group of its own: each option group costs a process
/// several runtime type lookups at start (spec/release.md, "Start-up"), and every command that
/// reads an image takes one.
struct ImageOptions: ParsableArguments {
    @Argument(help: "The image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG] or [docker://]HOST/REPO[:TAG][@DIGEST].")
    var image: String

    @Option(help: PlatformOption.help)
    var platform: String?

    @OptionGroup var registry: RegistryFlags

    @Option(name: .customLong("limit-entries"), help: ArgumentHelp("Most entries an archive may have.", valueName: "count"))
    var maxEntries: Int = Limits.default.maxArchiveEntries

    @Option(name: .customLong("limit-bytes"), help: ArgumentHelp("Most bytes an archive may expand to (512MiB, 256GiB, …).", valueName: "size"))
    var maxBytes = ByteSize(bytes: Limits.default.maxArchiveBytes)

    @Option(name: .customLong("limit-ratio"), help: ArgumentHelp("Most expanded bytes per compressed byte.", valueName: "ratio"))
    var maxRatio: Double = Limits.default.maxCompressionRatio

    func validate() throws {
        guard maxEntries > 0, maxBytes.bytes > 0, maxRatio >= 1 else {
            throw ValidationError("limits must be positive (and --limit-ratio at least 1)")
        }
        _ = try selectedPlatform
    }

    /// The `--platform` asked for, if any.
    var selectedPlatform: Platform? {
        get throws { try platform.map(PlatformOption.parsed) }
    }

    var limits: Limits {
        var limits = Limits.default
        limits.maxArchiveEntries = maxEntries
        limits.maxArchiveBytes = maxBytes.bytes
        limits.maxEntryBytes = min(limits.maxEntryBytes, maxBytes.bytes)
        limits.maxCompressionRatio = maxRatio
        return limits
    }

    /// Opens the image, showing a progress bar while a large archive is scanned.
    func open() throws -> any ImageSource {
        let reference = try ImageReference(parsing: image)
        return try Self.showingProgress { try Images.open(reference, limits: limits, registry: registry, progress: $0) }
    }

    /// The verifier for this image's registry flags and limits, and the image opened and
    /// resolved through it (for `--platform`), showing a progress bar while a large archive is
    /// scanned.
    func subject() throws -> (Verifier, ImageSubject) {
        let verifier = Verifier(opener: try Images.opener(registry, limits: limits), limits: limits)
        let reference = try ImageReference(parsing: image)
        let platform = try selectedPlatform
        return (verifier, try Self.showingProgress { try verifier.subject(reference, platform: platform, progress: $0) })
    }

    /// Runs `work` with a progress callback drawn as a bar on a terminal, cleared after.
    private static func showingProgress<T>(_ work: (@escaping @Sendable (Int64, Int64) -> Void) throws -> T) rethrows -> T {
        let bar = ProgressBar("reading")
        defer { bar.finish() }
        return try work { done, total in bar.update(done, total) }
    }
}

/// `--platform` for a command whose images are not one `ImageOptions` (`policy check`).
struct PlatformOption: ParsableArguments {
    static let help = ArgumentHelp("Pick the manifest for OS/ARCH[/VARIANT] from an index, e.g. linux/arm64.", valueName: "os/arch")

    @Option(help: PlatformOption.help)
    var platform: String?

    func validate() throws {
        _ = try value
    }

    var value: Platform? {
        get throws { try platform.map(Self.parsed) }
    }

    static func parsed(_ text: String) throws -> Platform {
        do { return try Platform(parsing: text) } catch let error as BullaError { throw ValidationError(error.message) }
    }
}
