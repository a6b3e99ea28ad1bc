import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where key material comes from and goes to: files, or `env://VAR` for CI secret stores.
public enum KeyFile {
    /// Reads a key given as a path or as `env://VAR` (the variable holds the PEM text).
    public static func read(_ location: String, limit: Int = 1 << 20) throws -> [UInt8] {
        if let variable = location.dropPrefix("env://") {
            guard !variable.isEmpty, let value = getenv(variable) else {
                throw BullaError(.notFound, "environment variable \(variable.isEmpty ? "(empty name)" : variable) named by \(location) is not set")
            }
            return Array(String(cString: value).utf8)
        }
        return try FileIO.read(location, limit: limit)
    }

    /// A private key from a path, `env://VAR` or a `pkcs11:` URI; `passphrase` is asked only if
    /// a key file is encrypted, `pin` only when a token needs a PIN no other source gives.
    public static func signingKey(_ location: String, passphrase: () throws -> Passphrase?, pin: () throws -> Passphrase? = { nil }) throws -> SigningKey {
        if TokenKey.isURI(location) { return try TokenKey.signingKey(location, pin: pin) }
        let pem = try read(location)
        if SigningKey.isCosignKey(pem) {
            throw BullaError(.malformedInput, "\(location): this is a cosign key: run `bulla key import-cosign \(location) --output-prefix NEW`")
        }
        do {
            return try SigningKey(pemRepresentation: pem, passphrase: nil)
        } catch let error as BullaError where error.code == .passphraseRequired {
            let given = try passphrase()
            do {
                return try SigningKey(pemRepresentation: pem, passphrase: given)
            } catch let error as BullaError {
                // Which key, and which passphrase: a wrong one is most often the wrong variable.
                var named = error.prefixed(location)
                if let source = given?.source { named.message += " (the passphrase from \(source))" }
                throw named
            }
        } catch let error as BullaError {
            throw error.prefixed(location)
        }
    }

    /// A cosign private key (`ENCRYPTED SIGSTORE PRIVATE KEY`) from a path or `env://VAR`, for
    /// `key import-cosign`; `passphrase` is asked only once the file is known to be one.
    public static func cosignSigningKey(_ location: String, passphrase: () throws -> Passphrase) throws -> SigningKey {
        let pem = try read(location)
        guard SigningKey.isCosignKey(pem) else {
            throw BullaError(.malformedInput, "\(location): not a cosign private key (no BEGIN ENCRYPTED SIGSTORE PRIVATE KEY or ENCRYPTED COSIGN PRIVATE KEY line)")
        }
        let sealed: CosignSealedKey
        do {
            sealed = try CosignKeyDocument.sealedKey(in: pem)
        } catch let error as BullaError {
            throw error.prefixed(location)
        }
        let given = try passphrase()
        do {
            return try SigningKey.importingCosign(sealed, passphrase: given)
        } catch let error as BullaError {
            // As for Bulla's keys: which key, and where the passphrase came from, never what it is.
            var named = error.prefixed(location)
            if error.code == .wrongPassphrase, let source = given.source { named.message += " (the passphrase from \(source))" }
            throw named
        }
    }

    /// A public key file (`BEGIN PUBLIC KEY`).
    public static func verifyingKey(_ location: String) throws -> VerifyingKey {
        let pem = try read(location)
        do {
            return try VerifyingKey(pemRepresentation: pem)
        } catch let error as BullaError {
            throw error.prefixed(location)
        }
    }
}
