import BullaCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keys in PKCS #11 tokens, named by `pkcs11:` URIs (RFC 7512) wherever Bulla takes a private
/// key: which module to load, and where the token's PIN comes from (spec/keys.md, "Keys in a
/// token").
public enum TokenKey {
    /// The module to load when the URI names none (`module-path=`).
    public static let moduleVariable = "BULLA_PKCS11_MODULE"
    /// The PIN when the URI gives no `pin-source`.
    public static let pinVariable = "BULLA_PKCS11_PIN"
    /// The largest PIN file read.
    public static let maxPINBytes = 256

    /// Whether `location` is a PKCS #11 URI rather than a file or `env://`.
    public static func isURI(_ location: String) -> Bool { location.lowercased().hasPrefix("pkcs11:") }

    /// The module library: the URI's `module-path`, else `BULLA_PKCS11_MODULE`.
    public static func modulePath(_ uri: PKCS11URI) throws -> String {
        if let path = uri.modulePath, !path.isEmpty { return path }
        if let value = getenv(moduleVariable), value.pointee != 0 { return String(cString: value) }
        throw BullaError(.invalidArgument, "\(uri) names no module: add module-path=/path/to/module.so to the URI or set \(moduleVariable)")
    }

    /// The PIN, in order: the URI's `pin-source` (a `file:` URI or a path), its `pin-value`,
    /// `BULLA_PKCS11_PIN`, then `prompt` (a terminal); nil when none gives one. Each PIN says
    /// where it came from, never what it is.
    public static func pin(for uri: PKCS11URI, prompt: () throws -> Passphrase?) throws -> Passphrase? {
        if let source = uri.pinSource {
            // file:/run/pin, file:///run/pin (an empty authority) or a bare path.
            var path = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
            if path.hasPrefix("///") { path.removeFirst(2) }
            var bytes = try FileIO.read(path, limit: maxPINBytes)
            // The first line is the PIN; anything after it is not sent to the token.
            if let end = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                let tail = bytes.count - end
                bytes.withUnsafeMutableBytes { memset($0.baseAddress! + end, 0, tail) }
                bytes.removeSubrange(end...)
            }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            return Passphrase(consuming: &bytes, source: "pin-source \(source)")
        }
        if var bytes = uri.pinValue { return Passphrase(consuming: &bytes, source: "the URI's pin-value") }
        // An empty variable is unset, not an empty PIN sent to the token.
        if let value = getenv(pinVariable), value.pointee != 0 { return Passphrase(String(cString: value), source: pinVariable) }
        return try prompt()
    }

    /// The key `location` names, logged in with the PIN from ``pin(for:prompt:)``.
    public static func signingKey(_ location: String, pin prompt: () throws -> Passphrase?) throws -> SigningKey {
        let uri = try PKCS11URI(parsing: location)
        return try SigningKey(pkcs11: uri, modulePath: try modulePath(uri), pin: try pin(for: uri, prompt: prompt))
    }

    /// A new key pair made inside the token `location` names (`bulla key generate --pkcs11`).
    public static func generate(_ location: String, algorithm: KeyAlgorithm, pin prompt: () throws -> Passphrase?) throws -> SigningKey {
        let uri = try PKCS11URI(parsing: location)
        return try SigningKey.generate(pkcs11: uri, modulePath: try modulePath(uri), pin: try pin(for: uri, prompt: prompt), algorithm: algorithm)
    }
}
