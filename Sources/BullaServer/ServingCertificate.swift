import Bulla
import BullaCrypto
import NIOCore
import NIOSSL

/// A serving certificate chain and its private key, checked to belong together.
public struct CertificatePair: Sendable {
    /// The certificate chain presented in the TLS handshake, leaf first, as the PEM file lists it.
    public let chain: [NIOSSLCertificate]
    /// The private key of the chain's leaf certificate, checked to match it at load.
    public let key: NIOSSLPrivateKey

    /// Parses PEM bytes; refuses an empty chain and a key that is not the certificate's.
    public init(chainPEM: [UInt8], keyPEM: [UInt8], certificate: String, keyFile: String) throws {
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(chainPEM)
            key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        } catch {
            throw BullaError(.malformedInput, "the serving certificate \(certificate) and key \(keyFile) cannot be used: \(error)")
        }
        guard !chain.isEmpty else { throw BullaError(.malformedInput, "\(certificate) holds no PEM certificate") }
        // Making a context checks that the key is the certificate's (a mismatched pair would
        // fail every handshake).
        do {
            _ = try NIOSSLContext(configuration: Self.configuration(chain: chain, key: key))
        } catch {
            throw BullaError(.malformedInput, "the key \(keyFile) is not the key of the certificate \(certificate): \(error)")
        }
    }

    static func configuration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}

/// The serving certificate and key, read again when their files change (a Secret updated by
/// cert-manager, or by hand): each new connection is served with the pair in force, open ones
/// keep theirs, and a pair that does not load is refused while the old one goes on serving.
public typealias ServingCertificate = WatchedFiles<CertificatePair>

extension WatchedFiles where Value == CertificatePair {
    /// Watches `certificate` and `key` (1 MiB each at most); throws if the pair does not load now.
    public convenience init(certificate: String, key: String) throws {
        try self.init(paths: [certificate, key], limit: 1 << 20) { files in
            try CertificatePair(chainPEM: files[0], keyPEM: files[1], certificate: certificate, keyFile: key)
        }
    }

    /// TLS 1.2 or later; plain HTTP is never served. Each handshake takes the pair in force.
    public var tlsConfiguration: TLSConfiguration {
        let first = loaded.value
        var configuration = CertificatePair.configuration(chain: first.chain, key: first.key)
        configuration.sslContextCallback = { [self] _, promise in
            let pair = loaded.value
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.key)
            promise.succeed(override)
        }
        return configuration
    }
}
