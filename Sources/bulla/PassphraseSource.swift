import ArgumentParser
import Bulla
import BullaCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Where a passphrase comes from: `BULLA_PASSWORD`, `--passphrase-file`, or a prompt on the TTY.
/// Never a flag value, never logged.
struct PassphraseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read the key's passphrase from this file (its first line).", valueName: "file"))
    var passphraseFile: String?

    /// `confirm` asks twice on a TTY (for a new key).
    /// The private key at `location` (a file, `env://VAR` or a `pkcs11:` URI): a file's
    /// passphrase as ``passphrase(for:confirm:)`` finds it, a token's PIN from the URI,
    /// BULLA_PKCS11_PIN or the terminal.
    func signingKey(_ location: String) throws -> SigningKey {
        try KeyFile.signingKey(location, passphrase: { try passphrase(for: location) }, pin: { Self.pinPrompt(location) })
    }

    /// The PIN typed at the terminal, when there is one.
    static func pinPrompt(_ location: String) -> Passphrase? {
        let token = (try? PKCS11URI(parsing: location))?.token.map { "token \"\($0)\"" } ?? "the token"
        return TTYPrompt.read("PIN for \(token): ")
    }

    func passphrase(for purpose: String, confirm: Bool = false) throws -> Passphrase {
        if let value = getenv("BULLA_PASSWORD") {
            return Passphrase(String(cString: value), source: "BULLA_PASSWORD")
        }
        if let file = passphraseFile {
            var bytes = try KeyFile.read(file)
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                let tail = bytes.count - newline
                bytes.withUnsafeMutableBytes { explicit_bzero($0.baseAddress! + newline, tail) }
                bytes.removeSubrange(newline...)
            }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            return Passphrase(consuming: &bytes, source: "--passphrase-file \(file)")
        }
        guard let first = TTYPrompt.read("Passphrase for \(purpose): ") else {
            throw BullaError(.passphraseRequired, "no passphrase: set BULLA_PASSWORD, pass --passphrase-file, or run on a terminal")
        }
        guard confirm else { return first }
        guard let second = TTYPrompt.read("Repeat the passphrase: ") else {
            throw BullaError(.passphraseRequired, "no passphrase confirmation was read")
        }
        guard first.withBytes({ a in second.withBytes { b in a.elementsEqual(b) } }) else {
            throw BullaError(.invalidArgument, "the two passphrases differ")
        }
        return first
    }
}

/// The passphrase of a cosign key being imported: `COSIGN_PASSWORD`, as cosign reads it (set,
/// even to the empty string, it is the passphrase), else a prompt on the TTY. Never
/// `BULLA_PASSWORD` or `--passphrase-file`, which are the new key's.
enum CosignPassphrase {
    /// The passphrase of the cosign key at `location`, named in the prompt and in errors.
    static func read(for location: String) throws -> Passphrase {
        if let value = getenv("COSIGN_PASSWORD") {
            return Passphrase(String(cString: value), source: "COSIGN_PASSWORD")
        }
        guard let typed = TTYPrompt.read("Passphrase of the cosign key \(location): ") else {
            throw BullaError(.passphraseRequired, "no passphrase for the cosign key \(location): set COSIGN_PASSWORD, or run on a terminal")
        }
        return typed
    }
}

/// Reads a line from /dev/tty with echo off; nil when there is no terminal.
enum TTYPrompt {
    static func read(_ prompt: String) -> Passphrase? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            _ = write(fd, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
            if bytes.count > 4096 { break }
        }
        return Passphrase(consuming: &bytes, source: "the terminal prompt")
    }
}
