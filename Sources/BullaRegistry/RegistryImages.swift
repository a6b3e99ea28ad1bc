import Bulla
import BullaCrypto

/// Every reference form: a registry image through ``RegistrySource``, layouts and archives
/// through `LocalImages`. What the CLI opens images with, and what a program that depends on
/// Bulla uses to read a registry.
public struct RegistryImages: ImageOpener {
    /// How registries are reached (trust, timeouts, credentials, the overall deadline); its
    /// limits are replaced by those each `open` is given.
    public var options: RegistryOptions

    /// An opener reaching registries with `options`; layouts and archives need none of them.
    public init(options: RegistryOptions = RegistryOptions()) {
        self.options = options
    }

    /// A registry source for a registry reference, else the local layout or archive it names.
    public func open(_ reference: ImageReference, limits: Limits, progress: (@Sendable (Int64, Int64) -> Void)?) throws -> any ImageSource {
        guard case .registry(let image) = reference else { return try LocalImages().open(reference, limits: limits, progress: progress) }
        var options = self.options
        options.limits = limits
        return try RegistrySource(image, options: options)
    }
}
