// Bulla's counterpart of `openssl speed`, so scripts/bench.py can put the two side by side in one
// run.
//   bulla-speed [BLOCK_BYTES] [SECONDS] [sha256|sha384|sha512]   digest throughput, bytes/s
//   bulla-speed ecdsa-p256|ecdsa-p384|ed25519 [SECONDS]           signs/s and verifies/s
//   bulla-speed keyless BUNDLE ROOT IDENTITY ISSUER sha256:HEX [SECONDS]
//                                 keyless bundle verifications/s on this thread (BundleVerifier:
//                                 signature, chain, SCT, SET, inclusion proof, identity)
import BenchSupport
import Bulla
import BullaCrypto
import Foundation

/// Runs `body` in batches until `seconds` pass; returns operations per second.
func rate(_ seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    var count = 0
    let start = now()
    var elapsed = 0.0
    while elapsed < seconds {
        for _ in 0..<16 { try body() }
        count += 16
        elapsed = now() - start
    }
    return Double(count) / elapsed
}

let arguments = CommandLine.arguments
if arguments.count > 6, arguments[1] == "keyless" {
    let bundle = Array(try Data(contentsOf: URL(fileURLWithPath: arguments[2])))
    let root = try TrustedRoot(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: arguments[3]))))
    let identity = try CertificateIdentity(issuer: arguments[5], subject: arguments[4])
    let digest = try Digest(parsing: arguments[6])
    let seconds = arguments.count > 7 ? Double(arguments[7]) ?? 3 : 3
    let verifier = BundleVerifier(root: root)
    // Each round reads the bundle from its bytes, as a webhook or CLI call does.
    _ = try verifier.verify(bundle: bundle, artifactDigest: digest, identity: identity, key: nil)
    let perSecond = try rate(seconds) { _ = try verifier.verify(bundle: bundle, artifactDigest: digest, identity: identity, key: nil) }
    print("keyless: \(Int(perSecond)) verify/s")
} else if arguments.count > 1, let algorithm = KeyAlgorithm(rawValue: arguments[1]) {
    let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
    let key = try SigningKey.generate(algorithm)
    // As openssl speed does for ECDSA: sign and verify a digest (Ed25519: a 32-byte message).
    let digest = Digest.compute(algorithm.digest ?? .sha256, over: Array("bulla-speed".utf8))
    let sign: () throws -> [UInt8] = algorithm == .ed25519 ? { try key.signature(for: digest.bytes) } : { try key.signature(forDigest: digest) }
    let signature = try sign()
    let verify: () -> Bool = algorithm == .ed25519
        ? { key.publicKey.isValidSignature(signature, for: digest.bytes) }
        : { key.publicKey.isValidSignature(signature, forDigest: digest) }
    precondition(verify())
    let signs = try rate(seconds) { _ = try sign() }
    let verifies = rate(seconds) { precondition(verify()) }
    print("\(algorithm.rawValue): \(Int(signs)) sign/s \(Int(verifies)) verify/s")
} else {
    let blockSize = arguments.count > 1 ? Int(arguments[1]) ?? 16384 : 16384
    let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
    let algorithm = arguments.count > 3 ? DigestAlgorithm(rawValue: arguments[3]) ?? .sha256 : .sha256
    let block = [UInt8](repeating: 0x5A, count: blockSize)
    // As openssl speed does: a full digest (init, update, final) of each block.
    var sink: UInt8 = 0
    let perSecond = block.withUnsafeBytes { buffer in
        rate(seconds) {
            var hasher = StreamingDigest(algorithm)
            hasher.update(buffer)
            sink ^= hasher.finalize().bytes[0]
        }
    }
    print("\(algorithm.rawValue) \(blockSize) bytes: \(Int(perSecond * Double(blockSize))) bytes/s\(sink == 0 ? "" : " ")")
}
