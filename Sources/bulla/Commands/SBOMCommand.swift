import ArgumentParser
import Bulla
import BullaCrypto

struct SBOMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "Read SBOMs as policies see them.",
        discussion: """
            EXAMPLES:
              bulla sbom packages sbom.spdx.json
            """,
        subcommands: [SBOMPackagesCommand.self])
}

struct SBOMPackagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packages",
        abstract: "List the packages of an SPDX 2.x or CycloneDX 1.x JSON document: name, version, purl, licence, supplier.",
        discussion: """
            EXAMPLES:
              bulla sbom packages sbom.spdx.json
              bulla sbom packages bom.cdx.json -o json | jq '.packages[].name'
            """)

    @Argument(help: "The SBOM file.")
    var file: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let document = try RawJSON(validating: try KeyFile.read(file, limit: AttestationLimits.maxPredicateBytes), what: file)
        let sbom = try SBOM(reading: document, what: file)
        if !Output.json { Terminal.note("\(file): \(sbom.format), \(sbom.packages.count) package(s)") }
        try Output.emit(SBOMReport(format: sbom.format.description, packages: sbom.packages)) {
            sbom.packages.map { package in
                [package.name, package.version ?? "-", package.purl ?? "-", package.license ?? "-", package.supplier ?? "-"].joined(separator: "\t")
            }.joined(separator: "\n")
        }
    }
}

/// `bulla sbom packages --output json`.
struct SBOMReport: Encodable {
    let mediaType = "application/vnd.bulla.sbom-packages.v1+json"
    let format: String
    let packages: [SBOMPackage]
}
