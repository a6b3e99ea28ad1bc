import Foundation
import Testing

/// Bulla against a real registry (Debian's `docker-registry`, which has no referrers API) and
/// `skopeo` as the outside client: digests agree, signatures travel with skopeo and with
/// `bulla copy`, credentials and tokens work, and every fault gets a clear error in bounded
/// time.
///
/// Not in the AddressSanitizer pass, whose build leaves out the network layers (Package.swift).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BULLA_SANITIZED"] == nil, "the sanitizer build has no registry client"))
struct RegistryTests {
    /// A workspace with the fixture layout (amd64, arm64, the multi index) and keys.
    static func workspace() throws -> String { try AttestationTests.workspace() }

    static func bulla(_ arguments: [String], in dir: String, environment: [String: String] = [:]) throws -> Command.Result {
        try Command.run([Peers.bulla] + arguments, in: dir, environment: ["BULLA_PASSWORD": "pw"].merging(environment) { _, new in new })
    }

    static func skopeoDigest(_ image: String, in dir: String, creds: String? = nil) throws -> String {
        let credentials = creds.map { " --creds \($0)" } ?? ""
        return try KeyInteropTests.sh("skopeo inspect --tls-verify=false\(credentials) --raw docker://\(image) | skopeo manifest-digest /dev/stdin", in: dir)
    }

    static func push(_ layoutImage: String, to image: String, in dir: String, extra: String = "") throws {
        _ = try KeyInteropTests.sh("skopeo copy -q --all --dest-tls-verify=false \(extra) oci:layout:\(layoutImage) docker://\(image)", in: dir)
    }

    @Test func imagesPushedWithSkopeoDigestAsSkopeoSays() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = registries.open
        try Self.push("multi", to: "\(host)/digests/multi:1", in: dir)
        try Self.push("amd64", to: "\(host)/digests/single:1", in: dir)
        // A Docker v2 schema 2 manifest, as docker push writes.
        try Self.push("arm64", to: "\(host)/digests/docker:1", in: dir, extra: "--format v2s2")
        for image in ["digests/multi:1", "digests/single:1", "digests/docker:1"] {
            let ours = try Self.bulla(["digest", "--insecure", "\(host)/\(image)"], in: dir)
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(ours.out == (try Self.skopeoDigest("\(host)/\(image)", in: dir)), "\(image)")
            let content = try Self.bulla(["verify-content", "--insecure", "docker://\(host)/\(image)"], in: dir)
            #expect(content.status == 0 && content.out.hasPrefix("verified"), "\(content.stderr)")
        }
        // By digest, and per platform from the index.
        let digest = try Self.skopeoDigest("\(host)/digests/single:1", in: dir)
        #expect(try Self.bulla(["digest", "--insecure", "\(host)/digests/single@\(digest)"], in: dir).out == digest)
        let arm = try Self.bulla(["digest", "--insecure", "--platform", "linux/arm64", "\(host)/digests/multi:1"], in: dir)
        #expect(arm.out == (try KeyInteropTests.sh("skopeo inspect --raw oci:layout:arm64 | skopeo manifest-digest /dev/stdin", in: dir)))
        // Plain HTTP is for this machine only.
        let remote = try Self.bulla(["digest", "--insecure", "registry.example.com/app:1"], in: dir)
        #expect(remote.status == 2 && remote.stderr.contains("only for a registry on this machine"), "\(remote.stderr)")
    }

    @Test func signaturesTravelWithSkopeoAndAreFoundByTag() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = registries.open
        try Self.push("amd64", to: "\(host)/src/app:1", in: dir)
        let digest = try Self.skopeoDigest("\(host)/src/app:1", in: dir)
        let sigTag = "sha256-\(digest.dropFirst(7)).sig"

        // Two signers write the legacy tag; both signatures are kept.
        for key in ["ed.key", "p256.key"] {
            let signed = try Self.bulla(["sign", "--insecure", "\(host)/src/app:1", "--key", key, "--format", "legacy"], in: dir)
            #expect(signed.status == 0, "\(signed.stderr)")
        }
        let layers = try KeyInteropTests.sh("skopeo inspect --tls-verify=false --raw docker://\(host)/src/app:\(sigTag) | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"layers\"]))'", in: dir)
        #expect(layers == "2")

        // skopeo carries the image and the .sig tag to another repository; Bulla verifies there.
        _ = try KeyInteropTests.sh("""
            skopeo copy -q --src-tls-verify=false --dest-tls-verify=false docker://\(host)/src/app:1 docker://\(host)/dst/app:1
            skopeo copy -q --src-tls-verify=false --dest-tls-verify=false docker://\(host)/src/app:\(sigTag) docker://\(host)/dst/app:\(sigTag)
            """, in: dir)
        let copied = try Self.bulla(["verify", "--insecure", "\(host)/dst/app:1", "--key", "ed.pub", "--key", "p256.pub", "--threshold", "2", "--identity", "\(host)/src/app"], in: dir)
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
        #expect(copied.stdout.contains("tag \(sigTag) layer 0") && copied.stdout.contains("tag \(sigTag) layer 1"), "\(copied.stdout)")

        // A bundle on a registry without the referrers API: stored and found through the
        // sha256-<hex> tag, which the registry lists as an index.
        #expect(try Command.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(host)/v2/src/app/referrers/\(digest)"]).out == "404")
        let bundle = try Self.bulla(["sign", "--insecure", "\(host)/src/app:1", "--key", "p256.key", "-a", "env=prod"], in: dir)
        #expect(bundle.status == 0, "\(bundle.stderr)")
        let found = try Self.bulla(["verify", "--insecure", "\(host)/src/app:1", "--key", "p256.pub", "-a", "env=prod"], in: dir)
        #expect(found.status == 0 && found.stdout.contains("(tag sha256-\(digest.dropFirst(7)))"), "\(found.stdout)\(found.stderr)")
        let index = try KeyInteropTests.sh("skopeo inspect --tls-verify=false --raw docker://\(host)/src/app:sha256-\(digest.dropFirst(7))", in: dir)
        #expect(index.contains("\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\""), "\(index)")
        // A key that did not sign: found, named, refused.
        let wrong = try Self.bulla(["verify", "--insecure", "\(host)/dst/app:1", "--key", "p256.pub", "--identity", "\(host)/other"], in: dir)
        #expect(wrong.status == 1, "\(wrong.stdout)")
    }

    /// A referrer added to a fallback index another tool wrote keeps that tool's entries and
    /// members as they were: unknown members, `urls`, the order of its annotations.
    @Test func theFallbackIndexKeepsWhatOthersWrote() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = registries.open
        let image = "\(host)/fallback/app:1"
        try Self.push("amd64", to: image, in: dir)
        let digest = try Self.skopeoDigest(image, in: dir)
        let manifest = try KeyInteropTests.sh("skopeo inspect --tls-verify=false --raw docker://\(image)", in: dir)
        let theirs = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "digest":"\(digest)","size":\(manifest.utf8.count),"urls":["https://mirror.example/x"],"x-vendor":"kept","artifactType":"application/x-other"}],\
            "annotations":{"z":"1","a":"2"}}
            """
        let tag = "sha256-\(digest.dropFirst(7))"
        let put = try Command.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json",
                                   "--data-binary", theirs, "http://\(host)/v2/fallback/app/manifests/\(tag)"])
        #expect(put.stdout == "201", "\(put.stdout)\(put.stderr)")

        #expect(try Self.bulla(["sign", "--insecure", image, "--key", "p256.key"], in: dir).status == 0)
        let index = try KeyInteropTests.sh("skopeo inspect --tls-verify=false --raw docker://\(host)/fallback/app:\(tag)", in: dir)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(index.utf8)) as? [String: Any])
        let entries = try #require(object["manifests"] as? [[String: Any]])
        #expect(entries.count == 2, "\(index)")
        #expect(entries.first?["x-vendor"] as? String == "kept" && (entries.first?["urls"] as? [String]) == ["https://mirror.example/x"], "\(index)")
        #expect(index.contains(#""annotations":{"z":"1","a":"2"}"#), "the index's own members stay, in order: \(index)")
        let verified = try Self.bulla(["verify", "--insecure", image, "--key", "p256.pub"], in: dir)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func concurrentLegacySignersAreAllKept() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = "\(registries.open)/race/app:1"
        try Self.push("amd64", to: image, in: dir)
        let signers = (1...6).map { "signer\($0)" }
        for signer in signers {
            #expect(try Self.bulla(["key", "generate", "--output-prefix", signer, "--algorithm", "ed25519"], in: dir).status == 0)
        }
        // Six signers at once read, extend and write the one .sig tag; each re-reads the tag
        // after writing and merges again if another write replaced it.
        let script = signers.map { "\"$BULLA\" sign --insecure \(image) --key \($0).key --format legacy &" }.joined(separator: "\n") + "\nwait"
        let raced = try Command.run(["bash", "-c", script], in: dir, environment: ["BULLA": Peers.bulla, "BULLA_PASSWORD": "pw"])
        #expect(raced.status == 0, "\(raced.stderr)")
        let all = signers.flatMap { ["--key", "\($0).pub"] }
        let verified = try Self.bulla(["verify", "--insecure", image, "--threshold", "6"] + all, in: dir)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test func copyRegistryToLayoutToRegistryKeepsEverything() throws {
        let shared = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A registry of its own, stopped before the mirror is verified offline.
        let origin = try Registries()
        let host = origin.open
        try Self.push("multi", to: "\(host)/team/app:1.4", in: dir)
        let steps: [[String]] = [
            ["sign", "--insecure", "\(host)/team/app:1.4", "--key", "p256.key", "--recursive"],
            ["sign", "--insecure", "\(host)/team/app:1.4", "--key", "ed.key", "--format", "legacy"],
            ["attest", "--insecure", "\(host)/team/app:1.4", "--key", "p256.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson"],
            ["attest", "--insecure", "\(host)/team/app:1.4", "--key", "ed.key", "--predicate", "sbom.spdx.json", "--type", "spdxjson", "--format", "legacy"],
        ]
        for step in steps {
            let result = try Self.bulla(step, in: dir)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        let digest = try Self.skopeoDigest("\(host)/team/app:1.4", in: dir)
        let toLayout = try Self.bulla(["copy", "--insecure", "\(host)/team/app:1.4", "oci:mirror:1.4"], in: dir)
        #expect(toLayout.status == 0 && toLayout.stdout.contains("copied \(digest)"), "\(toLayout.stderr)")
        origin.stop()

        // Offline: the registry is gone; the mirror verifies whole.
        let checks: [[String]] = [
            ["verify", "oci:mirror:1.4", "--key", "p256.pub", "--key", "ed.pub", "--threshold", "2", "--identity", "\(host)/team/app"],
            ["verify", "oci:mirror:1.4", "--key", "p256.pub", "--platform", "linux/arm64"],
            ["verify-attestation", "oci:mirror:1.4", "--key", "p256.pub", "--key", "ed.pub", "--threshold", "2", "--type", "spdxjson"],
            ["verify-content", "oci:mirror"],
        ]
        for check in checks {
            let result = try Self.bulla(check, in: dir)
            #expect(result.status == 0, "\(check): \(result.stdout)\(result.stderr)")
        }
        #expect(try Self.bulla(["digest", "oci:mirror:1.4"], in: dir).out == digest)
        #expect(try KeyInteropTests.sh("skopeo inspect --raw oci:mirror:1.4 | skopeo manifest-digest /dev/stdin", in: dir) == digest)

        // On to another registry: same digests, everything still verifies there.
        let target = "\(shared.open)/mirror/app:1.4"
        let toRegistry = try Self.bulla(["copy", "--insecure", "oci:mirror:1.4", target], in: dir)
        #expect(toRegistry.status == 0, "\(toRegistry.stderr)")
        #expect(try Self.skopeoDigest(target, in: dir) == digest)
        for check in checks.dropLast() {
            var arguments = check
            arguments[1] = target
            arguments.insert("--insecure", at: 1)
            let result = try Self.bulla(arguments, in: dir)
            #expect(result.status == 0, "\(arguments): \(result.stdout)\(result.stderr)")
        }
        // Copying again finds every blob there already.
        let again = try Self.bulla(["copy", "--insecure", "oci:mirror:1.4", target], in: dir)
        #expect(again.status == 0 && again.stdout.contains(" 0 blob(s)"), "\(again.stdout)")

        // A policy names registry images without docker://: verify-attestation --policy
        // matches the same rule policy check does, and both deny the SBOM's log4j-core.
        try """
            version: 1
            noMatch: allow
            rules:
              - name: log4shell
                images: ["\(shared.open)/mirror/**"]
                attestations:
                  - type: spdxjson
                    keys: [p256.pub]
                    deniedPackages:
                      - purl: pkg:maven/org.apache.logging.log4j/log4j-core
                        versions: "< 2.17.1"
            """.write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
        for command in [["verify-attestation", "--insecure", target, "--key", "p256.pub", "--type", "spdxjson", "--policy", "policy.yaml"],
                        ["policy", "check", "--insecure", "--policy", "policy.yaml", target]] {
            let denied = try Self.bulla(command, in: dir)
            #expect(denied.status == 1, "\(command): \(denied.stdout)\(denied.stderr)")
            #expect(denied.stdout.contains("rule \"log4shell\"") && denied.stdout.contains("log4j-core"), "\(command): \(denied.stdout)")
        }
    }

    @Test func basicAuthAndCredentialHelpers() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = registries.basic
        let (user, password) = registries.basicLogin
        try Self.push("amd64", to: "\(host)/private/app:1", in: dir, extra: "--dest-creds \(user):\(password)")
        let digest = try Self.skopeoDigest("\(host)/private/app:1", in: dir, creds: "\(user):\(password)")
        let image = "\(host)/private/app:1"

        let anonymous = try Self.bulla(["digest", "--insecure", image], in: dir, environment: ["DOCKER_CONFIG": dir + "/nothing"])
        #expect(anonymous.status == 3 && anonymous.stderr.contains("needs credentials"), "\(anonymous.stderr)")

        let good = try Registries.authFile(in: dir, host: host, user: user, password: password)
        let withFile = try Self.bulla(["digest", "--insecure", image], in: dir, environment: ["REGISTRY_AUTH_FILE": good])
        #expect(withFile.out == digest, "\(withFile.stderr)")
        let signed = try Self.bulla(["sign", "--insecure", "--authfile", good, image, "--key", "p256.key"], in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(try Self.bulla(["verify", "--insecure", "--authfile", good, image, "--key", "p256.pub"], in: dir).status == 0)

        let bad = try Registries.authFile(in: dir, host: host, user: user, password: "not-the-password")
        let refused = try Self.bulla(["digest", "--insecure", "--authfile", bad, image], in: dir)
        #expect(refused.status == 3 && refused.stderr.contains("refused the credentials of \(user)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("not-the-password"))

        // credHelpers in $DOCKER_CONFIG/config.json: docker-credential-<name> on PATH.
        let config = dir + "/docker"
        try FileManager.default.createDirectory(atPath: config + "/bin", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: ["credHelpers": [host: "bullatest"]]).write(to: URL(fileURLWithPath: config + "/config.json"))
        let helper = config + "/bin/docker-credential-bullatest"
        try """
            #!/bin/sh
            read host
            [ "$host" = "\(host)" ] || { echo "credentials not found in native keychain"; exit 1; }
            printf '{"ServerURL":"%s","Username":"\(user)","Secret":"\(password)"}' "$host"
            """.write(toFile: helper, atomically: true, encoding: .utf8)
        chmod(helper, 0o755)
        let path = config + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let viaHelper = try Self.bulla(["digest", "--insecure", image], in: dir, environment: ["DOCKER_CONFIG": config, "PATH": path])
        #expect(viaHelper.out == digest, "\(viaHelper.stderr)")
    }

    @Test func bearerTokensAreFetchedPerScopeAndRefusalsAreClear() throws {
        let registries = try Registries.get()
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = registries.token
        let (user, password) = registries.tokenLogin
        try Self.push("multi", to: "\(host)/tokens/app:1", in: dir, extra: "--dest-creds \(user):\(password)")
        let digest = try Self.skopeoDigest("\(host)/tokens/app:1", in: dir, creds: "\(user):\(password)")
        let auth = try Registries.authFile(in: dir, host: host, user: user, password: password)
        let image = "\(host)/tokens/app:1"

        let before = try Self.tokensIssued(registries)
        let content = try Self.bulla(["verify-content", "--insecure", "--authfile", auth, image], in: dir)
        #expect(content.status == 0, "\(content.stderr)")
        // Eight manifests and blobs read with one pull token.
        #expect(try Self.tokensIssued(registries) - before == 1)

        let signed = try Self.bulla(["sign", "--insecure", "--authfile", auth, image, "--key", "p256.key"], in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        let verified = try Self.bulla(["verify", "--insecure", "--authfile", auth, image, "--key", "p256.pub"], in: dir)
        #expect(verified.status == 0 && verified.stdout.contains(digest), "\(verified.stdout)\(verified.stderr)")

        let mallory = try Registries.authFile(in: dir, host: host, user: "mallory", password: "guess")
        let refused = try Self.bulla(["digest", "--insecure", "--authfile", mallory, image], in: dir)
        #expect(refused.status == 3 && refused.stderr.contains("token server 127.0.0.1 refused mallory's request"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("guess"))

        // A token server that answers 503 twice is asked again, and the read goes through.
        let unavailableBefore = try Self.tokenStats(registries)["unavailable"] as? Int ?? -1
        let carol = try Registries.authFile(in: dir, host: host, user: "carol", password: password)
        let patient = try Self.bulla(["digest", "--insecure", "--authfile", carol, image], in: dir)
        #expect(patient.status == 0 && patient.out == digest, "\(patient.stderr)")
        let unavailable = try Self.tokenStats(registries)["unavailable"] as? Int
        #expect(unavailableBefore == 0 && unavailable == 2, "two 503s, then a token")
    }

    static func tokenStats(_ registries: Registries) throws -> [String: Any] {
        let text = try Command.succeed(["curl", "-sf", "\(registries.tokenServer)/stats"])
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// How many tokens the token server has handed out so far.
    static func tokensIssued(_ registries: Registries) throws -> Int {
        try #require(try tokenStats(registries)["tokens"] as? Int)
    }

    /// Examples/verify-image, a program that depends on Bulla and BullaRegistry, verifies a
    /// signed registry image with its key and refuses it with another.
    @Test func theLibraryExampleVerifiesARegistryImage() throws {
        let (dir, registry, repository, key) = try HostileRegistryTests.signedCopy("example/app")
        let example = URL(fileURLWithPath: Peers.bulla).deletingLastPathComponent().appendingPathComponent("verify-image").path
        let image = "\(registry)/\(repository):1"
        let verified = try Command.run([example, image, "\(key).pub", "--insecure"], in: dir, timeout: 60)
        #expect(verified.status == 0 && verified.stdout.hasPrefix("verified docker://\(image)"), "\(HostileRegistryTests.shown(verified))")
        let other = try Command.run([Peers.bulla, "key", "generate", "--output-prefix", "\(key)-other"], in: dir, environment: ["BULLA_PASSWORD": "pw"], timeout: 60)
        #expect(other.status == 0)
        let refused = try Command.run([example, image, "\(key)-other.pub", "--insecure"], in: dir, timeout: 60)
        #expect(refused.status == 1 && refused.stdout.hasPrefix("not verified"), "\(HostileRegistryTests.shown(refused))")
    }
}
