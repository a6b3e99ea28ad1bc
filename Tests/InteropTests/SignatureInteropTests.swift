import Foundation
import Testing

/// Signatures cross between Bulla and peers nobody here wrote: the openssl CLI, sigstore-models,
/// securesystemslib, and real bundles from the Sigstore conformance suite and sigstore-go.
@Suite struct SignatureInteropTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/check_bundle.py").path

    /// A scratch directory with a P-256, a P-384 and an Ed25519 key pair (passphrase "pw").
    static func workspace() throws -> String {
        let dir = try KeyInteropTests.scratch()
        for (prefix, algorithm) in [("p256", "ecdsa-p256"), ("p384", "ecdsa-p384"), ("ed", "ed25519")] {
            try Command.succeed([Peers.bulla, "key", "generate", "--output-prefix", prefix, "--algorithm", algorithm], in: dir, environment: ["BULLA_PASSWORD": "pw"])
        }
        _ = try KeyInteropTests.sh("head -c 3000000 /dev/urandom > blob.bin", in: dir)
        return dir
    }

    static func sh(_ script: String, in dir: String) throws -> String { try KeyInteropTests.sh(script, in: dir) }

    @Test(arguments: [("p256", "openssl dgst -sha256 -verify p256.pub -signature sig blob.bin"),
                      ("p384", "openssl dgst -sha384 -verify p384.pub -signature sig blob.bin"),
                      ("ed", "openssl pkeyutl -verify -pubin -inkey ed.pub -rawin -in blob.bin -sigfile sig")])
    func openSSLVerifiesBullaBlobSignatures(_ key: String, _ verify: String) throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let signed = try Peers.bulla("sign-blob", "blob.bin", "--key", "\(key).key", "--output-bundle", "b.json", in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        _ = try Self.sh("python3 -c \"import json,base64,sys; open('sig','wb').write(base64.b64decode(json.load(open('b.json'))['messageSignature']['signature']))\"", in: dir)
        #expect(try Command.run(["bash", "-c", verify], in: dir).status == 0)
        #expect(try Peers.bulla("verify-blob", "blob.bin", "--key", "\(key).pub", "--bundle", "b.json", in: dir).status == 0)
        _ = try Self.sh("printf x >> blob.bin", in: dir)
        #expect(try Command.run(["bash", "-c", verify], in: dir).status != 0)
        let tampered = try Peers.bulla("verify-blob", "blob.bin", "--key", "\(key).pub", "--bundle", "b.json", in: dir)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("bundle signs a blob with digest"))
    }

    @Test func bullaVerifiesAnOpenSSLSignatureInABundle() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Self.sh("""
            openssl ecparam -name prime256v1 -genkey -noout -out os.key && openssl pkey -in os.key -pubout -out os.pub
            openssl dgst -sha256 -sign os.key -out os.sig blob.bin
            python3 - <<'PY'
            import base64, hashlib, json
            sig = base64.b64encode(open('os.sig','rb').read()).decode()
            digest = base64.b64encode(hashlib.sha256(open('blob.bin','rb').read()).digest()).decode()
            json.dump({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                       "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
                       "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": digest}, "signature": sig}},
                      open('os.bundle', 'w'))
            PY
            """, in: dir)
        #expect(try Peers.bulla("verify-blob", "blob.bin", "--key", "os.pub", "--bundle", "os.bundle", in: dir).status == 0)
        let other = try Peers.bulla("verify-blob", "blob.bin", "--key", "p256.pub", "--bundle", "os.bundle", in: dir)
        #expect(other.status == 1)
        #expect(other.stderr.contains("does not verify"))
    }

    @Test func pythonPeersAcceptBullaBundles() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fixtures = try ImageFixtures.get()
        try Command.succeed(["cp", "-r", fixtures.path("layout"), dir + "/layout"])
        for key in ["p256", "p384", "ed"] {
            try Command.succeed([Peers.bulla, "sign-blob", "blob.bin", "--key", "\(key).key", "--output-bundle", "\(key).blob.json"], in: dir, environment: ["BULLA_PASSWORD": "pw"])
            try Command.succeed([Peers.bulla, "sign", "oci:layout:amd64", "--key", "\(key).key", "-a", "team=payments", "--output-bundle", "\(key).image.json"], in: dir, environment: ["BULLA_PASSWORD": "pw"])
            for bundle in ["\(key).blob.json", "\(key).image.json"] {
                let checked = try Command.run(["python3", Self.checker, bundle, "\(key).pub"], in: dir)
                #expect(checked.status == 0, "\(bundle): \(checked.stdout) \(checked.stderr)")
                #expect(checked.stdout.contains("sigstore-models: parsed"))
                if bundle.hasSuffix("image.json") { #expect(checked.stdout.contains("securesystemslib: DSSE envelope verified")) }
            }
            let verified = try Peers.bulla("verify", "oci:layout:amd64", "--key", "\(key).pub", "--bundle", "\(key).image.json", "-a", "team=payments", in: dir)
            #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        }
    }

    @Test func openSSLVerifiesBullaLegacyImageSignatures() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed(["cp", "-r", try ImageFixtures.get().path("layout"), dir + "/layout"])
        let signed = try Peers.bulla("sign", "oci:layout:arm64", "--key", "p256.key", "--format", "legacy", "--identity", "registry.example/app", in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        let digest = try Peers.bulla("digest", "oci:layout:arm64", in: dir).out
        _ = try Self.sh("""
            python3 - <<'PY'
            import base64, json
            index = json.load(open('layout/index.json'))
            entry = [m for m in index['manifests'] if m.get('annotations', {}).get('org.opencontainers.image.ref.name') == '\(digest.replacingOccurrences(of: ":", with: "-")).sig'][0]
            manifest = json.load(open('layout/blobs/sha256/' + entry['digest'][7:]))
            layer = manifest['layers'][0]
            assert layer['mediaType'] == 'application/vnd.dev.cosign.simplesigning.v1+json'
            open('payload', 'wb').write(open('layout/blobs/sha256/' + layer['digest'][7:], 'rb').read())
            open('sig', 'wb').write(base64.b64decode(layer['annotations']['dev.cosignproject.cosign/signature']))
            PY
            """, in: dir)
        #expect(try Command.run(["openssl", "dgst", "-sha256", "-verify", "p256.pub", "-signature", "sig", "payload"], in: dir).status == 0)
        let payload = try String(contentsOfFile: dir + "/payload", encoding: .utf8)
        #expect(payload == #"{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"\#(digest)"},"type":"cosign container image signature"},"optional":null}"#)
    }

    @Test(arguments: [("managed-key-happy-path", 0), ("managed-key-and-trusted-root", 0), ("managed-key-wrong-key_fail", 3)])
    func conformanceManagedKeyBundles(_ name: String, _ status: Int32) throws {
        let dir = Self.fixtures + "/conformance"
        let result = try Peers.bulla("verify-blob", "a.txt", "--key", "\(name)/key.pub", "--bundle", "\(name)/bundle.sigstore.json", in: dir)
        #expect(result.status == status, "\(result.stdout) \(result.stderr)")
        if status != 0 { #expect(result.stderr.contains("not a PEM public key")) }
        // The right key of the happy path does not verify a signature over other bytes.
        let swapped = try Peers.bulla("verify-blob", "managed-key-happy-path/key.pub", "--key", "managed-key-happy-path/key.pub", "--bundle", "managed-key-happy-path/bundle.sigstore.json", in: dir)
        #expect(swapped.status == 1)
    }

    @Test func sigstoreGoPublicKeyBundleVerifies() throws {
        let dir = Self.fixtures + "/sigstore-go"
        let result = try Peers.bulla("verify-blob", "public-key-validity.artifact.txt", "--key", "public-key-validity.pem", "--bundle", "public-key-validity.sigstore.json", in: dir)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
