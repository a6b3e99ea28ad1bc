/// The one error type every Bulla layer throws.
///
/// A struct with an extensible ``Code`` rather than a large enum, so new failure kinds do not
/// break callers that switch on codes. Equality compares the code only, which keeps tests simple
/// (`#expect(throws: BullaError(.digestMismatch))`). The message says what was expected and what
/// was found, and names the file or blob, so a user can act on it without a debugger.
public struct BullaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is. The CLI maps codes to exit codes, the server to HTTP.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name: what JSON reports print (`reason`) and callers compare.
        public let name: String
        /// A code by name; other modules add their own (BullaRegistry's `accessDenied`) this way.
        public init(_ name: String) { self.name = name }
        /// The bare name, so a code reads the same in messages as in JSON reports.
        public var description: String { name }

        /// The input is not what its format says it must be (bad JSON, a bad digest string…).
        public static let malformedInput = Code("malformedInput")
        /// Well-formed, but asks for something Bulla does not implement (an unknown algorithm…).
        public static let unsupported = Code("unsupported")
        /// A file, blob, tag or platform that was asked for is not there.
        public static let notFound = Code("notFound")
        /// Content does not hash to the digest that names it.
        public static let digestMismatch = Code("digestMismatch")
        /// Content is not as long as its descriptor says.
        public static let sizeMismatch = Code("sizeMismatch")
        /// The input passes a configured limit (entries, bytes, ratio, depth).
        public static let limitExceeded = Code("limitExceeded")
        /// An archive entry would reach outside the archive (traversal, absolute path, link escape).
        public static let unsafeArchive = Code("unsafeArchive")
        /// The operating system refused a read or write.
        public static let ioFailure = Code("ioFailure")
        /// A signature does not verify under the key it was checked with.
        public static let signatureInvalid = Code("signatureInvalid")
        /// An encrypted private key was given no passphrase, or the wrong one.
        public static let passphraseRequired = Code("passphraseRequired")
        /// The passphrase given does not decrypt the private key (spec/keys.md, "Passphrases").
        public static let wrongPassphrase = Code("wrongPassphrase")
        /// The command line or API call itself is wrong (a bad reference form…).
        public static let invalidArgument = Code("invalidArgument")
        /// OpenSSL or libarchive failed in a way the input does not explain.
        public static let internalFailure = Code("internalFailure")
        /// A transparency log's own files disagree: a tile, the state or a checkpoint does not
        /// match the entries. The log cannot be trusted or extended until it is repaired.
        public static let logInconsistent = Code("logInconsistent")
        /// Another process holds what this one needs (a log's writer lock); the same call may
        /// succeed later.
        public static let busy = Code("busy")
    }

    /// The kind of failure, which picks the CLI's exit code and the server's answer.
    public var code: Code
    /// What happened, with the context a user needs: got and want, the file or blob.
    public var message: String
    /// The lower-level error, when there is one (an OpenSSL queue entry, an errno).
    public var underlying: String?
    /// `#fileID:#line` of the throw site, for bug reports; not part of `description`.
    public var location: String

    /// Records the throw site with the code and message, so a report can point at the line.
    public init(
        _ code: Code,
        _ message: String = "",
        underlying: String? = nil,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.location = "\(file):\(line)"
    }

    /// The message, then the underlying error in parentheses: the line the CLI prints.
    public var description: String {
        guard let underlying, !underlying.isEmpty else { return message }
        return "\(message) (\(underlying))"
    }

    /// Equal when the codes are: tests and callers match on the kind, not on message wording.
    public static func == (lhs: BullaError, rhs: BullaError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, to agree with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// What a user is told of any error: a ``BullaError``'s message, else the error itself.
    public static func describe(_ error: any Error) -> String {
        (error as? BullaError)?.message ?? "\(error)"
    }

    /// The same error with `context` put in front of the message ("index.json: …").
    public func prefixed(_ context: String) -> BullaError {
        var copy = self
        copy.message = "\(context): \(message)"
        return copy
    }
}
