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
        subcommands: LogCommand.always + LogCommand.served)

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Make an empty log; without --key, make its Ed25519 key as DIR/log.key and DIR/log.pub.")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: ArgumentHelp("The log's name: the checkpoint origin and the key name.", valueName: "name")) var origin: String
        @Option(help: ArgumentHelp("An existing private key to sign checkpoints with.", valueName: "key")) var key: String?
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let signing: SigningKey
            if let key {
                signing = try KeyFile.signingKey(key) { try passphrase.passphrase(for: key) }
            } else {
                signing = try SigningKey.generate(.ed25519)
            }
            let verifier = try NoteVerifier(name: origin, key: signing.publicKey)
            try LogSetup.create(at: directory, origin: origin, key: signing)
            if key == nil {
                let secret = try passphrase.passphrase(for: "the new log key \(directory)/log.key", confirm: true)
                try DurableFile.write(try signing.pemRepresentation(passphrase: secret), to: "\(directory)/log.key", mode: 0o600)
            }
            print("log \(directory) for \(origin); key \(verifier.vkey ?? verifier.description)")
        }
    }

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "append", abstract: "Append each FILE (or standard input, -) as one entry, durably, in one batch.")

        @Argument(help: "The log directory.") var directory: String
        @Argument(help: "Files whose bytes are the entries; - for standard input.") var files: [String] = ["-"]
        @Flag(help: "Append each line of standard input as it arrives, printing INDEX<TAB>LINE once it is durable.")
        var lines = false

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
            for (index, file) in zip(indices, files) { print("\(index)\t\(file)") }
        }
    }

    struct SignCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint", abstract: "Sign a checkpoint of the log as it is, consistent with the last one, and print it.")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: ArgumentHelp("The log's private key (default DIR/log.key).", valueName: "key")) var key: String?
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let location = key ?? "\(directory)/log.key"
            let signing = try KeyFile.signingKey(location) { try passphrase.passphrase(for: location) }
            let log = try TransparencyLog(opening: directory, forWriting: true)
            print(String(decoding: try log.signCheckpoint(with: signing), as: UTF8.self), terminator: "")
        }
    }

    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prove", abstract: "Print the inclusion proof of entry INDEX in the tree of SIZE entries (JSON, hex hashes).")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: "The entry's index.") var index: UInt64
        @Option(help: "The tree size (default: the log's).") var size: UInt64?

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let size = size ?? log.size
            let proof = try log.inclusionProof(index: index, size: size)
            print(try Output.encode(ProofReport(
                index: index, size: size, leafHash: Hex.encode(MerkleHash.leaf(try log.entry(at: index))),
                root: Hex.encode(try log.root(size: size)), hashes: proof.hashes.map { Hex.encode($0) })))
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "consistency", abstract: "Print the consistency proof between two tree sizes (JSON, hex hashes).")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: "The older size.") var from: UInt64
        @Option(help: "The newer size (default: the log's).") var to: UInt64?

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let to = to ?? log.size
            let proof = try log.consistencyProof(from: from, to: to)
            print(try Output.encode(ConsistencyReport(
                from: from, to: to, oldRoot: Hex.encode(try log.root(size: from)), newRoot: Hex.encode(try log.root(size: to)),
                hashes: proof.hashes.map { Hex.encode($0) })))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Audit the whole log: every tile recomputed from the entries, the checkpoint's signature and root, consistency with an earlier checkpoint.")

        @Argument(help: "The log directory.") var directory: String
        @Option(name: .customLong("log-key"), help: ArgumentHelp("The log's public key.", valueName: "key")) var logKey: String
        @Option(help: ArgumentHelp("An earlier signed checkpoint the log must be consistent with.", valueName: "file")) var since: String?

        func run() throws {
            let log = try TransparencyLog(opening: directory, forWriting: false)
            let verifier = try NoteVerifier(name: log.origin, key: try KeyFile.verifyingKey(logKey))
            let earlier = try since.map { try KeyFile.read($0, limit: 1 << 20) }
            let audit = try LogAuditor(log: log).audit(verifier: verifier, since: earlier)
            // A writer with a journal (`bulla serve --decision-log`) folds it into the tree later.
            let journaled = try log.journaledEntries()
            print("verified \(directory): \(audit.size) entries, root \(Hex.encode(audit.root)), \(audit.tilesChecked) tiles recomputed"
                  + (since.map { ", consistent with \($0)" } ?? "")
                  + (journaled > 0 ? "; \(journaled) more journaled, not yet in the tree" : ""))
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
            abstract: "Serve the log over HTTP: the C2SP tlog-tiles read paths, and POST /add, which answers once the entry is durable with its index, inclusion proof and signed checkpoint.")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: ArgumentHelp("HOST:PORT, [IPv6]:PORT or :PORT (every interface); port 0 picks a free one.", valueName: "addr"))
        var listen = "127.0.0.1:8080"
        @Option(help: ArgumentHelp("The log's private key (default DIR/log.key).", valueName: "key")) var key: String?
        @Option(help: ArgumentHelp("At most this many entries per durable batch.", valueName: "n")) var maxBatch = 4096
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            let address = try ListenAddress(parsing: listen)
            let location = key ?? "\(directory)/log.key"
            let signing = try KeyFile.signingKey(location) { try passphrase.passphrase(for: location) }
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

struct ProofReport: Encodable {
    let mediaType = "application/vnd.bulla.inclusion-proof.v1+json"
    let index: UInt64, size: UInt64
    let leafHash: String, root: String
    let hashes: [String]
}

struct ConsistencyReport: Encodable {
    let mediaType = "application/vnd.bulla.consistency-proof.v1+json"
    let from: UInt64, to: UInt64
    let oldRoot: String, newRoot: String
    let hashes: [String]
}
