import BullaCrypto

/// Opens the image a reference names, wherever it is: the one way the CLI, the webhook and a
/// program using the library open images, so each reads them alike.
public protocol ImageOpener: Sendable {
    /// The source `reference` names; `progress` receives (bytes read, total bytes) while an
    /// archive is scanned.
    func open(_ reference: ImageReference, limits: Limits, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> any ImageSource
}

extension ImageOpener {
    /// The source `reference` names, with the default limits.
    public func open(_ reference: ImageReference) throws -> any ImageSource {
        try open(reference, limits: .default, progress: nil)
    }
}

/// Layouts and archives on this machine. A registry reference is refused: the core does no
/// networking, and BullaRegistry's `RegistryImages` opens registries too.
public struct LocalImages: ImageOpener {
    /// The opener for this machine's layouts and archives; it needs no configuration.
    public init() {}

    /// The layout or archive source `reference` names; a registry reference is refused.
    public func open(_ reference: ImageReference, limits: Limits, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> any ImageSource {
        try ImageSources.open(reference, limits: limits, progress: progress)
    }
}
