import ArgumentParser
import Bulla
import BullaCrypto
import Foundation
#if canImport(BullaRegistry)
import BullaRegistry
#endif

/// How to reach registries, shared by every command that takes an image.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("authfile"), help: ArgumentHelp("Registry credentials (docker config.json or containers auth.json form), before REGISTRY_AUTH_FILE and ~/.docker/config.json.", valueName: "file"))
    var authFile: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM certificates to trust for registries, besides the system's and SSL_CERT_FILE's.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Plain HTTP to a registry on this machine (localhost, 127.x, ::1); refused for any other host.")
    var insecure = false

    @Option(help: ArgumentHelp("How long to wait for a registry to connect, or to send more of an answer.", valueName: "duration"))
    var timeout = TimeSpan<BareSeconds>(milliseconds: 30_000)

    @Option(help: ArgumentHelp("Retries after a registry answers 429, 500, 502, 503 or 504.", valueName: "count"))
    var retries = 3

    @Option(name: .customLong("registry-deadline"), help: ArgumentHelp("How long all of the command's registry traffic may take, however the registry paces it (bulla serve bounds each review by --deadline instead).", valueName: "duration"))
    var registryDeadline = TimeSpan<BareSeconds>(milliseconds: 300_000)

    func validate() throws {
        guard timeout.milliseconds > 0, retries >= 0, registryDeadline.milliseconds > 0 else {
            throw ValidationError("--timeout and --registry-deadline must be positive and --retries at least 0")
        }
        // Credentials named on purpose and missing are a mistake to report, not a reason to
        // carry on anonymously.
        if let authFile {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: authFile, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: authFile) else {
                throw ValidationError("--authfile \(authFile) cannot be read (it must be a file)")
            }
        }
    }
}

/// Opens images and signature destinations by reference, reaching registries when this build
/// has the registry layer.
enum Images {
    static func open(
        _ reference: ImageReference, limits: Limits, registry: RegistryFlags,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) throws -> any ImageSource {
        try opener(registry, limits: limits).open(reference, limits: limits, progress: progress)
    }

    /// What opens images for this build: registries too when it has the registry layer.
    static func opener(_ registry: RegistryFlags, limits: Limits) throws -> any ImageOpener {
        #if canImport(BullaRegistry)
        return RegistryImages(options: try options(registry, limits: limits))
        #else
        return LocalImages()
        #endif
    }

    /// Where signatures for an image read from `source` are stored: its layout, or its
    /// repository.
    static func signatureDestination(for source: any ImageSource) throws -> any ImageDestination {
        switch source.reference {
        case .ociLayout(let path, _):
            return try LayoutDestination(root: path)
        case .registry:
            #if canImport(BullaRegistry)
            if let registry = source as? RegistrySource { return RegistryDestination(registry.image, client: registry.client) }
            #endif
            throw BullaError(.unsupported, "this build of bulla has no registry client")
        default:
            throw BullaError(.invalidArgument, "signatures are stored in oci: layouts and registries; for \(source.reference) use --output-bundle FILE")
        }
    }

    /// A copy's destination: a layout (made if missing) or a registry repository.
    static func destination(_ reference: ImageReference, registry: RegistryFlags, reusing source: any ImageSource) throws -> any ImageDestination {
        switch reference {
        case .ociLayout(let path, _):
            return try LayoutDestination(root: path, create: true)
        case .registry(let image):
            #if canImport(BullaRegistry)
            if let from = source as? RegistrySource, from.image.registry == image.registry {
                return RegistryDestination(image, client: from.client)
            }
            return RegistryDestination(image, client: try RegistryClient(for: image, options: try options(registry, limits: .default)))
            #else
            throw BullaError(.unsupported, "\(image) is in a registry, and this build of bulla has no registry client")
            #endif
        default:
            throw BullaError(.invalidArgument, "a copy goes to an oci: layout or a registry, not \(reference)")
        }
    }

    #if canImport(BullaRegistry)
    /// The certificates trusted besides the system's: `--ca-file`, then the file SSL_CERT_FILE
    /// names (the variable OpenSSL, Go and Python read: a CI runner's or a proxy's CA).
    static func certificateFiles(_ caFile: String?) -> [(path: String, source: String)] {
        var files: [(path: String, source: String)] = []
        if let caFile { files.append((caFile, "--ca-file")) }
        if let file = ProcessInfo.processInfo.environment["SSL_CERT_FILE"], !file.isEmpty {
            files.append((file, "SSL_CERT_FILE"))
        }
        return files
    }

    static func options(_ flags: RegistryFlags, limits: Limits) throws -> RegistryOptions {
        var options = RegistryOptions()
        options.caFiles = certificateFiles(flags.caFile)
        options.insecure = flags.insecure
        options.timeoutSeconds = flags.timeout.seconds
        options.retries = flags.retries
        options.deadline = RegistryDeadline(seconds: flags.registryDeadline.seconds)
        options.credentials = RegistryCredentials(authFile: flags.authFile)
        options.limits = limits
        return options
    }
    #endif
}
