import ArgumentParser
import Bulla
import BullaCrypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `-o text|json`: for people, or versioned JSON (each document names its media type; spec/cli.md).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `-o/--output` and `-q/--quiet`, for every command that prints a result.
struct OutputOptions: ParsableArguments {
    static let help = ArgumentHelp("Print text for people or versioned JSON for programs (spec/cli.md).", valueName: "format")
    static let quietHelp = ArgumentHelp("No progress bar, no notes on stderr and no confirmation lines; results and errors still print.")

    @Option(name: [.customShort("o"), .long], help: OutputOptions.help)
    var output: OutputFormat = .text

    @Flag(name: [.customShort("q"), .long], help: OutputOptions.quietHelp)
    var quiet = false
}

/// How results reach standard output: one JSON document under `-o json`, or lines of text.
///
/// The mode is read from the command line itself, not from a parsed command, so that an error
/// met before or while parsing is still a JSON object when JSON was asked for.
enum Output {
    /// The arguments before `--`, where options can be.
    private static let options: ArraySlice<String> = {
        let arguments = CommandLine.arguments.dropFirst()
        return arguments.prefix { $0 != "--" }
    }()

    /// Whether `-o json` (or `--output json`, `--output=json`, `-ojson`) was given.
    static let json: Bool = zip(options, options.dropFirst()).contains { ($0 == "-o" || $0 == "--output") && $1 == "json" }
        || options.contains { $0 == "--output=json" || $0 == "-ojson" || $0 == "-o=json" }

    /// Whether `-q`/`--quiet` was given.
    static let quiet: Bool = options.contains { $0 == "-q" || $0 == "--quiet" }

    /// Set once a command has printed its JSON result, so a failure after it (a denial, an image
    /// not judged) does not add a second document: the result already says what went wrong.
    nonisolated(unsafe) private(set) static var printedResult = false

    /// Prints `value` as JSON, or `text()` (skipped when it is only a confirmation and `--quiet`).
    static func emit(_ value: some Encodable, confirmation: Bool = false, text: () -> String) throws {
        if json {
            print(try encode(value))
            printedResult = true
        } else if !(confirmation && quiet) {
            let lines = text()
            if !lines.isEmpty { print(lines) }
        }
    }

    /// Pretty, sorted, stable JSON: the same result gives the same bytes.
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A failure under `-o json`: the error as a JSON object on standard output (its text still
    /// goes to stderr), unless the command already printed its result.
    static func reportFailure(code: String, message: String, exitStatus: Int32) {
        guard json, !printedResult, let text = try? encode(ErrorReport(code: code, message: message, exitStatus: exitStatus)) else { return }
        print(text)
    }
}

/// `application/vnd.bulla.error.v1+json`: what failed, as a program reads it.
struct ErrorReport: Encodable {
    let mediaType = "application/vnd.bulla.error.v1+json"
    /// BullaError's code name, `usage` for a command-line mistake, `verificationFailed` for a
    /// check that ran and failed.
    let code: String
    let message: String
    let exitStatus: Int32
}
