import ArgumentParser
import Bulla
import BullaCrypto
#if canImport(BullaServer)
import BullaServer
#endif
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "A transparency log in a directory: RFC 6962 tree, C2SP tiles, signed checkpoints.",
        discussion: """
            EXAMPLES:
              bulla log init /srv/log --origin log.example.com/release
              bulla sign HOST/app@sha256:… --key release.key --log /srv/log
              bulla log verify /srv/log --log-key /srv/log/log.pub
            """,
        subcommands: LogCommand.always + LogCommand.served)

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Make an empty log; without --log-signing-key, make its Ed25519 key as DIR/log.key and DIR/log.pub.",
            discussion: """
                EXAMPLES:
                  bulla log init /srv/log --origin log.example.com/release
                  bulla log init /srv/log --origin log.example.com/r --log-signing-key l.key
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(help: ArgumentHelp("The log's name: the checkpoint origin and the key name.", valueName: "name")) var origin: String
        @Option(name: .customLong("log-signing-key"), help: ArgumentHelp("An existing private key to sign checkpoints with (a file, env://VAR or pkcs11: URI).", valueName: "key")) var logSigningKey: String?
        @Option(name: .customLong("key"), help: .hidden) var oldKey: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            Deprecation.renamed("--key", to: "--log-signing-key", in: "bulla log init", used: oldKey != nil)
        }

        func run() throws {
            let key = logSigningKey ?? oldKey
            let signing: SigningKey
            if let key {
                signing = try passphrase.signingKey(key)
            } else {
                signing = try SigningKey.generate(.ed25519)
            }
            let verifier = try NoteVerifier(name: origin, key: signing.publicKey)
            try LogSetup.create(at: directory, origin: origin, key: signing)
            if key == nil {
                let secret = try passphrase.passphrase(for: "the new log key \(directory)/log.key", confirm: true)
                try DurableFile.write(try signing.pemRepresentation(passphrase: secret), to: "\(directory)/log.key", mode: 0o600)
            }
            let vkey = verifier.vkey ?? verifier.description
            let report = LogReport(directory: directory, origin: origin, verifierKey: vkey, keyID: signing.publicKey.keyID)
            try Output.emit(report, confirmation: true) { "log \(directory) for \(origin); key \(vkey)" }
        }
    }

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append",
            abstract: "Append each FILE (or standard input, -) as one entry, durably, in one batch.",
            discussion: """
                EXAMPLES:
                  bulla log append /srv/log release-notes.txt sbom.json
                  tail -f events.log | bulla log append /srv/log --lines
                """)

        @Argument(help: "The log directory.") var directory: String
        @Argument(help: "Files whose bytes are the entries; - for standard input.") var files: [String] = ["-"]
        @Flag(help: "Append each line of standard input as it arrives, printing INDEX<TAB>LINE once it is durable.")
        var lines = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if lines && output.output == .json {
                throw ValidationError("--lines acknowledges each line as INDEX<TAB>LINE as it becomes durable; it has no JSON form")
            }
        }

        func run() throws {
            if lines {
                let log = try TransparencyLog(opening: directory, forWriting: true)
                while let line = readLine() {
                    let index = try log.append([Array(line.utf8)]).lowerBound
                    // The acknowledgement: printed only after the append is durable.
                    print("\(index)\t\(line)")
                    fflush(nil)
                }
                return
            }
            let entries = try files.map { file -> [UInt8] in
                file == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : try KeyFile.read(file, limit: TileLayout.maxEntryBytes)
            }
            let log = try TransparencyLog(opening: directory, forWriting: true)
            let indices = try log.append(entries)
            let report = AppendReport(directory: directory, entries: zip(indices, files).map { AppendReport.Entry(index: $0, source: $1) })
            try Output.emit(report) { report.entries.map { "\($0.index)\t\($0.source)" }.joined(separator: "\n") }
        }
    }

    struct SignCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Sign a checkpoint of the log as it is, consistent with the last one, and print it.",
            discussion: """
                EXAMPLES:
                  bulla log checkpoint /srv/log > checkpoint
                  bulla log checkpoint /srv/log -o json | jq .size
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(name: .customLong("log-signing-key"), help: ArgumentHelp("The log's private key (default DIR/log.key; a file, env://VAR or pkcs11: URI).", valueName: "key")) var logSigningKey: String?
        @Option(name: .customLong("key"), help: .hidden) var oldKey: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            Deprecation.renamed("--key", to: "--log-signing-key", in: "bulla log checkpoint", used: oldKey != nil)
        }

        func run() throws {
            let location = logSigningKey ?? oldKey ?? "\(directory)/log.key"
            let signing = try passphrase.signingKey(location)
            let log = try TransparencyLog(opening: directory, forWriting: true)
            let note = try log.signCheckpoint(with: signing)
            let checkpoint = try Checkpoint(text: try SignedNote(parsing: note).text)
            let report = CheckpointReport(origin: checkpoint.origin, size: checkpoint.size, root: Hex.encode(checkpoint.rootHash), note: String(decoding: note, as: UTF8.self))
            try Output.emit(report) { String(report.note.dropLast()) }
        }
    }

    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prove",
            abstract: "Print the inclusion proof of entry INDEX in the tree of SIZE entries (hex hashes).",
            discussion: """
                EXAMPLES:
                  bulla log prove /srv/log --index 41 -o json
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(help: "The entry's index.") var index: UInt64
        @Option(help: "The tree size (default: the log's).") var size: UInt64?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let size = size ?? log.size
            let proof = try log.inclusionProof(index: index, size: size)
            let report = ProofReport(
                index: index, size: size, leafHash: Hex.encode(MerkleHash.leaf(try log.entry(at: index))),
                root: Hex.encode(try log.root(size: size)), hashes: proof.hashes.map { Hex.encode($0) })
            try Output.emit(report) {
                (["entry \(report.index) of \(report.size): leaf \(report.leafHash), root \(report.root)"] + report.hashes.map { "  \($0)" }).joined(separator: "\n")
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consistency",
            abstract: "Print the consistency proof between two tree sizes (hex hashes).",
            discussion: """
                EXAMPLES:
                  bulla log consistency /srv/log --from 40 -o json
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(help: "The older size.") var from: UInt64
        @Option(help: "The newer size (default: the log's).") var to: UInt64?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let to = to ?? log.size
            let proof = try log.consistencyProof(from: from, to: to)
            let report = ConsistencyReport(
                from: from, to: to, oldRoot: Hex.encode(try log.root(size: from)), newRoot: Hex.encode(try log.root(size: to)),
                hashes: proof.hashes.map { Hex.encode($0) })
            try Output.emit(report) {
                (["\(report.from) → \(report.to): root \(report.oldRoot) → \(report.newRoot)"] + report.hashes.map { "  \($0)" }).joined(separator: "\n")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Audit the whole log: every tile recomputed from the entries, the checkpoint's signature and root, consistency with an earlier checkpoint.",
            discussion: """
                EXAMPLES:
                  bulla log verify /srv/log --log-key log.pub
                  bulla log verify /srv/log --log-key log.pub --since last-checkpoint -o json
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(name: .customLong("log-key"), help: ArgumentHelp("The log's public key.", valueName: "key")) var logKey: String
        @Option(help: ArgumentHelp("An earlier signed checkpoint the log must be consistent with.", valueName: "file")) var since: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let verifier = try NoteVerifier(name: log.origin, key: try KeyFile.verifyingKey(logKey))
            let earlier = try since.map { try KeyFile.read($0, limit: 1 << 20) }
            let audit = try LogAuditor(log: log).audit(verifier: verifier, since: earlier)
            // A writer with a journal (`bulla serve --decision-log`) folds it into the tree later.
            let journaled = try log.journaledEntries()
            let report = LogAuditReport(directory: directory, size: audit.size, root: Hex.encode(audit.root), tilesChecked: audit.tilesChecked,
                                        consistentWith: since, journaled: journaled)
            try Output.emit(report) {
                "verified \(directory): \(audit.size) entries, root \(report.root), \(audit.tilesChecked) tiles recomputed"
                    + (since.map { ", consistent with \($0)" } ?? "")
                    + (journaled > 0 ? "; \(journaled) more journaled, not yet in the tree" : "")
            }
        }
    }
}

extension LogCommand {
    static let always: [any ParsableCommand.Type] = [Init.self, Append.self, SignCheckpoint.self, Prove.self, Consistency.self, Verify.self]
}

#if canImport(BullaServer)
extension LogCommand {
    static let served: [any ParsableCommand.Type] = [Serve.self]

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the log over HTTP: the C2SP tlog-tiles read paths, and POST /add, which answers once the entry is durable with its index, inclusion proof and signed checkpoint.",
            discussion: """
                EXAMPLES:
                  bulla log serve /srv/log --listen :8080
                  bulla log serve /srv/log --log-signing-key /run/secrets/log.key
                """)

        @Argument(help: "The log directory.") var directory: String
        @Option(help: ArgumentHelp("HOST:PORT, [IPv6]:PORT or :PORT (every interface); port 0 picks a free one.", valueName: "addr"))
        var listen = "127.0.0.1:8080"
        @Option(name: .customLong("log-signing-key"), help: ArgumentHelp("The log's private key (default DIR/log.key; a file, env://VAR or pkcs11: URI).", valueName: "key")) var logSigningKey: String?
        @Option(name: .customLong("key"), help: .hidden) var oldKey: String?
        @Option(help: ArgumentHelp("At most this many entries per durable batch.", valueName: "n")) var maxBatch = 4096
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            Deprecation.renamed("--key", to: "--log-signing-key", in: "bulla log serve", used: oldKey != nil)
        }

        func run() async throws {
            let address = try ListenAddress(parsing: listen)
            let location = logSigningKey ?? oldKey ?? "\(directory)/log.key"
            let signing = try passphrase.signingKey(location)
            let server = try LogServer(directory: directory, key: signing, maxBatch: max(1, maxBatch))
            try await server.run(address: address) { bound in
                // The one line a script waits for, on standard output.
                print("serving log \(directory) at http://\(bound)")
                fflush(nil)
            }
        }
    }
}
#else
extension LogCommand {
    static let served: [any ParsableCommand.Type] = []
}
#endif
