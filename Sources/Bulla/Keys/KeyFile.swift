import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where key material comes from and goes to: files, or `env://VAR` for CI secret stores.
public enum KeyFile {
    /// Reads a key given as a path or as `env://VAR` (the variable holds the PEM text).
    public static func read(_ location: String) throws -> [UInt8] {
        if let variable = location.dropPrefix("env://") {
            guard !variable.isEmpty, let value = getenv(variable) else {
                throw BullaError(.notFound, "environment variable \(variable.isEmpty ? "(empty name)" : variable) named by \(location) is not set")
            }
            return Array(String(cString: value).utf8)
        }
        return try FileIO.read(location, limit: 1 << 20)
    }

    public static func signingKey(_ location: String, passphrase: () throws -> Passphrase?) throws -> SigningKey {
        let pem = try read(location)
        do {
            return try SigningKey(pemRepresentation: pem, passphrase: nil)
        } catch let error as BullaError where error.code == .passphraseRequired {
            return try SigningKey(pemRepresentation: pem, passphrase: try passphrase())
        } catch let error as BullaError {
            throw error.prefixed(location)
        }
    }

    /// A public key file, or the public half of a private key file (which must then open).
    public static func verifyingKey(_ location: String) throws -> VerifyingKey {
        let pem = try read(location)
        do {
            return try VerifyingKey(pemRepresentation: pem)
        } catch let error as BullaError {
            throw error.prefixed(location)
        }
    }

    /// Writes `bytes` to a new file with `mode`, refusing to replace one unless `overwrite`.
    /// The data is flushed to disk before the call returns.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t, overwrite: Bool = false) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            if errno == EEXIST { throw BullaError(.invalidArgument, "\(path) exists; pass --force to replace it") }
            throw BullaError(.ioFailure, "cannot create \(path)", underlying: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        // O_CREAT honours the umask; a replaced file keeps its old mode: set it explicitly.
        guard fchmod(fd, mode) == 0 else { throw BullaError(.ioFailure, "cannot set the mode of \(path)", underlying: String(cString: strerror(errno))) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { throw BullaError(.ioFailure, "cannot write \(path)", underlying: String(cString: strerror(errno))) }
            offset += n
        }
        guard fsync(fd) == 0 else { throw BullaError(.ioFailure, "cannot flush \(path)", underlying: String(cString: strerror(errno))) }
    }
}
