import Foundation
import Testing

/// Keyless and CA-certified signatures on images, through the CLI: a real cosign keyless
/// signature from Sigstore's public-good instance (containers/image's fixture, verified offline
/// with the embedded production root) and an enterprise PKI made with pyca/cryptography.
@Suite struct KeylessImageTests {
    static let legacy = SignatureInteropTests.fixtures + "/cosign-legacy"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/keyless").path
    static let identity = ["--certificate-identity", "mitr@redhat.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"]

    /// An OCI layout holding containers/image fixture `name` as cosign stores it (`.sig` tag).
    static func layout(_ name: String, in dir: String) throws -> String {
        try Command.succeed(["python3", "\(script)/legacy_layout.py", "\(legacy)/\(name)", "\(dir)/\(name)", "v1"])
        return "oci:\(dir)/\(name):v1"
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aRealKeylessSignatureVerifiesForItsIdentityOnly() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try Self.layout("dir-img-cosign-fulcio-rekor-valid", in: dir)
        let ok = try Command.run([Peers.bulla, "verify", image, "-o", "json"] + Self.identity)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let result = try Self.json(ok.stdout)
        let signer = try #require((result["identitiesSatisfied"] as? [[String: Any]])?.first)
        #expect(signer["subject"] as? String == "mitr@redhat.com" && signer["issuer"] as? String == "https://github.com/login/oauth")
        let check = try #require((result["signatures"] as? [[String: Any]])?.first)
        #expect((check["logEntries"] as? [[String: Any]])?.first?["logIndex"] as? Int == 11605770, "\(check)")
        #expect((check["logEntries"] as? [[String: Any]])?.first?["baseURL"] as? String == "https://rekor.sigstore.dev")
        let regexp = try Command.run([Peers.bulla, "verify", image, "--certificate-identity-regexp", "^mitr@redhat\\.com$", "--certificate-oidc-issuer", "https://github.com/login/oauth"])
        #expect(regexp.status == 0, "\(regexp.stderr)")
        // tree lists the identity the certificate claims, labelled unverified, without any trust.
        let tree = try Command.run([Peers.bulla, "tree", image, "-o", "json"])
        let listed = try #require((try Self.json(tree.stdout)["attachments"] as? [[String: Any]])?.first)
        #expect((listed["claimedIdentity"] as? [String: Any])?["subject"] as? String == "mitr@redhat.com", "\(tree.stdout)")
        let text = try Command.run([Peers.bulla, "tree", image])
        #expect(text.stdout.contains("certificate for mitr@redhat.com (issuer https://github.com/login/oauth) (claimed, not verified)"), "\(text.stdout)")

        let staging = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/sigstore-conformance/trust-roots/staging/trusted_root.json").path
        let refusals: [([String], String)] = [
            (["--certificate-identity", "other@redhat.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"],
             "the certificate is for mitr@redhat.com (issuer https://github.com/login/oauth), which no trusted identity allows"),
            (["--certificate-identity", "mitr@redhat.com", "--certificate-oidc-issuer", "https://accounts.google.com"],
             "its OIDC issuer is https://github.com/login/oauth, not https://accounts.google.com"),
            (["--certificate-identity-regexp", "^mitr@example", "--certificate-oidc-issuer", "https://github.com/login/oauth"], "does not match ^mitr@example"),
            (Self.identity + ["--trusted-root", staging], "is not a transparency log of the trusted root"),
            (["--key", "\(Self.legacy)/cosign.pub"], "no certificate identity or CA is trusted"),
        ]
        for (arguments, reason) in refusals {
            let refused = try Command.run([Peers.bulla, "verify", image] + arguments)
            #expect(refused.status == 1 && refused.stdout.contains(reason), "\(arguments): \(refused.stdout)\(refused.stderr)")
        }
    }

    /// `policy check` with a rule's `identities:`: the real keyless signature meets a rule for
    /// its signer and fails one for anyone else, named in the reason; a rule may also ask for
    /// two distinct signers, which one identity cannot be.
    @Test func policiesNameIdentities() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try Self.layout("dir-img-cosign-fulcio-rekor-valid", in: dir)
        func check(_ identities: String, threshold: Int = 1) throws -> Command.Result {
            try """
                version: 1
                rules:
                  - name: keyless
                    images: ["**"]
                    threshold: \(threshold)
                    identities:
                \(identities)
                """.write(toFile: "\(dir)/policy.yaml", atomically: true, encoding: .utf8)
            return try Command.run([Peers.bulla, "policy", "check", "--policy", "\(dir)/policy.yaml", image])
        }
        let mitr = "      - {issuer: https://github.com/login/oauth, subject: mitr@redhat.com}\n"
        let allowed = try check(mitr)
        #expect(allowed.status == 0 && allowed.stdout.contains("signed by mitr@redhat.com (issuer https://github.com/login/oauth)"), "\(allowed.stdout)\(allowed.stderr)")
        let denied = try check("      - {issuer: https://github.com/login/oauth, subjectRegExp: '^release@'}\n")
        #expect(denied.status == 1 && denied.stdout.contains("the certificate is for mitr@redhat.com"), "\(denied.stdout)\(denied.stderr)")
        let two = try check(mitr + "      - {issuer: https://github.com/login/oauth, subject: other@redhat.com}\n", threshold: 2)
        #expect(two.status == 1 && two.stdout.contains("1 of 2 required trusted signer(s)"), "\(two.stdout)\(two.stderr)")
        let unknownClaim = try check("      - {issuer: https://github.com/login/oauth, subject: mitr@redhat.com, claims: {workflow: x}}\n")
        #expect(unknownClaim.status == 3 && unknownClaim.stderr.contains("workflow is not a Fulcio claim"), "\(unknownClaim.stderr)")
    }

    /// A keyless SBOM attestation (as GitHub artifact attestations are made), on the synthetic
    /// Sigstore PKI: `verify-attestation` with the identity prints its predicate, and a policy
    /// whose rule names the workflow judges the SBOM's packages; a vulnerable one is denied.
    @Test func keylessAttestationsAreJudgedByPolicy() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predicates = Webhook.root.appendingPathComponent("spec/vectors/policy/predicates").path
        let issuer = "https://token.actions.githubusercontent.com"
        func image(_ name: String, sbom: String) throws -> (String, String, String) {
            let image = try Self.layout("dir-img-cosign-key-rekor-valid", in: "\(dir)/\(name)")
            let path = "\(dir)/\(name)/dir-img-cosign-key-rekor-valid"
            _ = try Command.succeed(["python3", "\(Self.script)/keyless_image.py", path, "v1", dir])
            let made = try Command.succeed(["python3", "\(Self.script)/keyless_image.py", path, "v1", dir, "release.yml", "https://spdx.dev/Document", "\(predicates)/\(sbom)"])
                .split(separator: "\n").map(String.init)
            return (image, made[0], made[1])
        }
        let (clean, root, identity) = try image("clean", sbom: "log4j-2.17.1.spdx.json")
        let (vulnerable, _, _) = try image("vulnerable", sbom: "log4j-2.14.1.spdx.json")
        let attested = try Command.run([Peers.bulla, "verify-attestation", clean, "--type", "spdxjson", "--certificate-identity", identity,
                                        "--certificate-oidc-issuer", issuer, "--trusted-root", root])
        #expect(attested.status == 0 && attested.stdout.contains("SPDX"), "\(attested.stdout)\(attested.stderr)")
        #expect(attested.stderr.contains("valid signature by \(identity)"), "\(attested.stderr)")
        try """
            version: 1
            rules:
              - name: keyless-sbom
                images: ["**"]
                identities:
                  - {issuer: "\(issuer)", subjectRegExp: '^https://github\\.com/acme/payments/\\.github/workflows/release\\.yml@', claims: {githubWorkflowRepository: acme/payments}}
                trustedRoot: \(root)
                attestations:
                  - type: spdxjson
                    deniedPackages:
                      - {purl: pkg:maven/org.apache.logging.log4j/log4j-core, versions: "< 2.17.1", reason: Log4Shell}

            """.write(toFile: "\(dir)/policy.yaml", atomically: true, encoding: .utf8)
        let allowed = try Command.run([Peers.bulla, "policy", "check", "--policy", "\(dir)/policy.yaml", clean])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        let denied = try Command.run([Peers.bulla, "policy", "check", "--policy", "\(dir)/policy.yaml", vulnerable])
        #expect(denied.status == 1 && denied.stdout.contains("Log4Shell"), "\(denied.stdout)\(denied.stderr)")
    }

    /// Attacks an adversarial review made (Fixtures/keyless/image_attacks.py): a keyless
    /// signature under a rule requiring Bulla's log, certificate text that would forge output
    /// lines, a flood of log entries for an untrusted identity, one key counted twice through two
    /// certificates, a bundle naming two signers. Each is refused; the control is accepted.
    @Test func imageAttacksAreRefused() throws {
        let work = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let result = try Command.run(["python3", "\(Self.script)/image_attacks.py", Peers.bulla, Self.legacy, work])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0 attack(s) not refused"), "\(result.stderr)")
    }

    /// Each part of the keyless evidence is bound: changing the payload, the certificate, the
    /// Rekor bundle's time or body, or removing the Rekor bundle, refuses the signature.
    @Test func tamperedKeylessEvidenceIsRefused() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, String, String)] = [
            ("payload", "signatures[0]['payload'] = b64(b64d(signatures[0]['payload']).replace(b'fulcio-rekor-1', b'fulcio-rekor-2'))", "does not verify over the payload"),
            ("set-time", "a['dev.sigstore.cosign/bundle'] = a['dev.sigstore.cosign/bundle'].replace('1674247893', '1674247894')", "inclusion promise"),
            ("no-rekor", "del a['dev.sigstore.cosign/bundle']", "no transparency-log entry"),
            ("other-cert", "a['dev.sigstore.cosign/certificate'] = a['dev.sigstore.cosign/chain'].split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\\n'", "does not verify"),
        ]
        for (name, edit, reason) in cases {
            let fixture = "\(dir)/\(name)"
            try FileManager.default.createDirectory(atPath: fixture, withIntermediateDirectories: true)
            let source = "\(Self.legacy)/dir-img-cosign-fulcio-rekor-valid"
            try FileManager.default.copyItem(atPath: "\(source)/manifest.json", toPath: "\(fixture)/manifest.json")
            let program = """
                import base64, json, sys
                b64 = lambda b: base64.b64encode(b).decode(); b64d = base64.b64decode
                raw = open(sys.argv[1], 'rb').read(); head = b'\\x00sigstore-json\\n'
                signatures = [json.loads(raw[len(head):])]; a = signatures[0]['annotations']
                \(edit)
                open(sys.argv[2], 'wb').write(head + json.dumps(signatures[0]).encode())
                """
            try Command.succeed(["python3", "-c", program, "\(source)/signature-1", "\(fixture)/signature-1"])
            try Command.succeed(["python3", "\(Self.script)/legacy_layout.py", fixture, "\(dir)/\(name)-layout", "v1"])
            let refused = try Command.run([Peers.bulla, "verify", "oci:\(dir)/\(name)-layout:v1"] + Self.identity)
            #expect(refused.status == 1 && refused.stdout.contains(reason), "\(name): \(refused.stdout)\(refused.stderr)")
        }
    }

    /// A key-signed cosign signature with a Rekor bundle annotation but no certificate still
    /// verifies with its key, and is not taken for a keyless one.
    @Test func aKeySignedSignatureWithARekorBundleStillVerifiesByKey() throws {
        let dir = try KeyInteropTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try Self.layout("dir-img-cosign-key-rekor-valid", in: dir)
        let ok = try Command.run([Peers.bulla, "verify", image, "--key", "\(Self.legacy)/cosign2.pub"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let keyless = try Command.run([Peers.bulla, "verify", image] + Self.identity)
        #expect(keyless.status == 1, "\(keyless.stdout)")
    }
}

/// `sign --certificate --certificate-chain` and `verify --ca-roots`: a key certified by an
/// enterprise CA (made by pyca/cryptography), checked by Bulla and by `openssl verify`.
@Suite struct EnterpriseCATests {
    @Test func aCertifiedKeySignsAndOnlyItsCAVerifies() throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed(["python3", "\(KeylessImageTests.script)/enterprise_pki.py", dir, "\(dir)/p256.pub"])
        let sign = { (leaf: String, chain: Bool) in
            try Command.run([Peers.bulla, "sign", "oci:layout:amd64", "--key", "p256.key", "--certificate", leaf, "--output-bundle", "\(leaf).bundle.json"]
                            + (chain ? ["--certificate-chain", "int.pem"] : []), in: dir, environment: ["BULLA_PASSWORD": "pw"])
        }
        for leaf in ["leaf.pem", "expired.pem", "no-eku.pem", "other-leaf.pem"] {
            let signed = try sign(leaf, leaf != "other-leaf.pem")
            #expect(signed.status == 0, "\(leaf): \(signed.stderr)")
        }
        let verify = { (bundle: String, roots: [String]) in
            try Command.run([Peers.bulla, "verify", "oci:layout:amd64", "--bundle", bundle, "-o", "json"] + roots, in: dir)
        }
        let ok = try verify("leaf.pem.bundle.json", ["--ca-roots", "root.pem"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let check = try #require((try KeylessImageTests.json(ok.stdout)["signatures"] as? [[String: Any]])?.first)
        #expect((check["identity"] as? [String: Any])?["subject"] as? String == "release@acme.example", "\(check)")
        #expect((check["identity"] as? [String: Any])?["issuer"] == nil)
        let refusals: [(String, [String], String)] = [
            ("leaf.pem.bundle.json", ["--ca-roots", "other-root.pem"], "does not chain to a trusted CA"),
            ("expired.pem.bundle.json", ["--ca-roots", "root.pem"], "certificate has expired"),
            ("no-eku.pem.bundle.json", ["--ca-roots", "root.pem"], "unsuitable certificate purpose"),
            ("other-leaf.pem.bundle.json", ["--ca-roots", "root.pem"], "does not chain to a trusted CA"),
            ("leaf.pem.bundle.json", ["--key", "ed.pub"], "no certificate identity or CA is trusted"),
        ]
        for (bundle, roots, reason) in refusals {
            let refused = try verify(bundle, roots)
            #expect(refused.status == 1 && refused.stdout.contains(reason), "\(bundle) \(roots): \(refused.stdout)\(refused.stderr)")
        }
        // The key's own trust still works: the certified key is a key.
        #expect(try verify("leaf.pem.bundle.json", ["--key", "p256.pub"]).status == 0)
        // A certificate for another key is refused before anything is signed.
        let wrong = try Peers.bulla("sign", "oci:layout:amd64", "--key", "ed.key", "--certificate", "leaf.pem", "--output-bundle", "x.json", in: dir)
        #expect(wrong.status == 2 && wrong.stderr.contains("not the signing key"), "\(wrong.stderr)")

        // A legacy signature carries the certificate and chain as cosign's annotations.
        let legacy = try Peers.bulla("sign", "oci:layout:amd64", "--key", "p256.key", "--certificate", "leaf.pem", "--certificate-chain", "int.pem",
                                     "--format", "legacy", "--identity", "registry.example/app", in: dir)
        #expect(legacy.status == 0, "\(legacy.stderr)")
        let stored = try Command.run([Peers.bulla, "verify", "oci:layout:amd64", "--ca-roots", "root.pem"], in: dir)
        #expect(stored.status == 0 && stored.stdout.contains("valid signature by release@acme.example"), "\(stored.stdout)\(stored.stderr)")
    }

    /// A blob bundle carries the leaf and its chain (`x509CertificateChain`, bundle v0.2);
    /// OpenSSL verifies that chain to the root and the signature with the leaf's key.
    @Test func theBlobBundleCarriesAChainOpenSSLVerifies() throws {
        let dir = try ImageSigningTests.signedWorkspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Command.succeed(["python3", "\(KeylessImageTests.script)/enterprise_pki.py", dir, "\(dir)/p256.pub"])
        try "release 1.0\n".write(toFile: "\(dir)/app.txt", atomically: true, encoding: .utf8)
        let signed = try Peers.bulla("sign-blob", "app.txt", "--key", "p256.key", "--certificate", "leaf.pem", "--certificate-chain", "int.pem",
                                     "--output-bundle", "app.json", in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        let program = """
            import base64, json, ssl
            b = json.load(open('app.json'))
            assert b['mediaType'] == 'application/vnd.dev.sigstore.bundle+json;version=0.2', b['mediaType']
            certs = [base64.b64decode(c['rawBytes']) for c in b['verificationMaterial']['x509CertificateChain']['certificates']]
            assert len(certs) == 2, len(certs)
            open('bundle-leaf.pem', 'w').write(ssl.DER_cert_to_PEM_cert(certs[0]))
            open('bundle-int.pem', 'w').write(ssl.DER_cert_to_PEM_cert(certs[1]))
            open('app.sig', 'wb').write(base64.b64decode(b['messageSignature']['signature']))
            """
        try Command.succeed(["python3", "-c", program], in: dir)
        let chain = try Command.run(["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "bundle-int.pem", "bundle-leaf.pem"], in: dir)
        #expect(chain.status == 0 && chain.stdout.contains("OK"), "\(chain.stdout)\(chain.stderr)")
        let usage = try Command.succeed(["openssl", "x509", "-in", "bundle-leaf.pem", "-noout", "-ext", "extendedKeyUsage"], in: dir)
        #expect(usage.contains("Code Signing"), "\(usage)")
        try Command.succeed(["sh", "-c", "openssl x509 -in bundle-leaf.pem -pubkey -noout > leaf.pub"], in: dir)
        let signature = try Command.run(["openssl", "dgst", "-sha256", "-verify", "leaf.pub", "-signature", "app.sig", "app.txt"], in: dir)
        #expect(signature.status == 0, "\(signature.stdout)\(signature.stderr)")
        let verified = try Command.run([Peers.bulla, "verify-blob", "app.txt", "--bundle", "app.json", "--ca-roots", "root.pem"], in: dir)
        #expect(verified.status == 0 && verified.stdout.contains("signed by release@acme.example, certified by a trusted CA"), "\(verified.stdout)\(verified.stderr)")
        let other = try Command.run([Peers.bulla, "verify-blob", "app.txt", "--bundle", "app.json", "--ca-roots", "other-root.pem"], in: dir)
        #expect(other.status == 1, "\(other.stdout)")
    }
}
