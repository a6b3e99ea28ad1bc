import ArgumentParser
import Bulla

struct VerifyContentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-content",
        abstract: "Re-hash every blob reachable from an image and check it against its descriptor.",
        discussion: """
            Exit 0 when every blob is intact, 1 naming each blob that is missing, truncated or altered.

            EXAMPLES:
              bulla verify-content oci:mirror/app
              bulla verify-content registry.example.com/app:1.0 --jobs 8 -o json
            """)

    @Option(help: ArgumentHelp("Threads that hash blobs in parallel; the default is the number of cores.", valueName: "n"))
    var jobs: Int = ContentVerifier.defaultJobs

    @OptionGroup var output: OutputOptions
    @OptionGroup var image: ImageOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let source = try image.open()
        // An untagged layout means all of it: images, indexes and the signatures stored beside them.
        let roots = try image.selectedPlatform.map { [try source.resolve(platform: $0).descriptor] }
            ?? (source.reference.isWholeLayout ? try source.topLevelDescriptors() : nil)
        let bar = ProgressBar("verifying")
        let report = try ContentVerifier(source: source, jobs: jobs).verify(roots: roots) { bar.update($0, $1) }
        bar.finish()
        try Output.emit(report) {
            var lines = report.failures.map { failure in
                let parent = failure.parent.map { " of manifest \($0.abbreviated)" } ?? ""
                return "FAILED \(failure.role.rawValue) \(failure.digest)\(parent): \(failure.message)"
            }
            if report.verified {
                lines.append("verified \(report.blobs) blobs, \(Terminal.bytes(report.bytes)), of \(report.reference) (\(report.roots.map(\.description).joined(separator: ", ")))")
            }
            return lines.joined(separator: "\n")
        }
        guard report.verified else {
            throw VerificationFailed(message: "\(report.failures.count) of \(report.blobs) blobs failed verification in \(report.reference)")
        }
    }
}
