import Foundation

/// Real images made by tools nobody here wrote: `umoci` builds an OCI layout with a
/// single-platform image and a two-platform index; `skopeo` converts them to oci-archive and
/// docker-archive. Built once per test run.
final class ImageFixtures: Sendable {
    let root: String

    static let shared: Result<ImageFixtures, any Error> = Result { try ImageFixtures() }

    static func get() throws -> ImageFixtures { try shared.get() }

    private init() throws {
        root = NSTemporaryDirectory() + "bulla-images-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try makeLayout()
        try convert()
        try makeCompressedLayerDockerArchive()
        try makeDocker25Archive()
    }

    func path(_ name: String) -> String { "\(root)/\(name)" }

    private func sh(_ script: String) throws {
        try Command.succeed(["bash", "-euo", "pipefail", "-c", script], in: root)
    }

    private func makeLayout() throws {
        try sh("""
            umoci init --layout layout
            for arch in amd64 arm64; do
              umoci new --image layout:$arch
              umoci config --image layout:$arch --architecture $arch --os linux --config.cmd /app/hello
              mkdir -p rootfs-$arch/app
              printf 'hello from %s\\n' $arch > rootfs-$arch/app/hello
              head -c 300000 /dev/urandom > rootfs-$arch/app/data.bin
              umoci insert --image layout:$arch rootfs-$arch/app /app
              printf 'second layer %s\\n' $arch > rootfs-$arch/notes.txt
              umoci insert --image layout:$arch rootfs-$arch/notes.txt /notes.txt
            done
            """)
        try addIndex(tag: "multi", children: ["amd64", "arm64"])
    }

    /// umoci makes single images; the index over both is written here from their descriptors.
    private func addIndex(tag: String, children: [String]) throws {
        let indexPath = path("layout/index.json")
        var top = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath))) as! [String: Any]
        var entries = top["manifests"] as! [[String: Any]]
        let manifests: [[String: Any]] = children.map { arch in
            var entry = entries.first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == arch }!
            entry["annotations"] = nil
            entry["platform"] = ["architecture": arch, "os": "linux"]
            return entry
        }
        let index: [String: Any] = ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests]
        let bytes = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
        let digest = try Command.succeed(["sha256sum", "-"], in: root, stdinData: bytes).split(separator: " ")[0]
        try bytes.write(to: URL(fileURLWithPath: path("layout/blobs/sha256/\(digest)")))
        entries.append([
            "mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:\(digest)", "size": bytes.count,
            "annotations": ["org.opencontainers.image.ref.name": tag],
        ])
        top["manifests"] = entries
        try JSONSerialization.data(withJSONObject: top, options: [.sortedKeys]).write(to: URL(fileURLWithPath: indexPath))
    }

    private func convert() throws {
        try sh("""
            skopeo copy -q oci:layout:amd64 oci-archive:single.tar:amd64
            gzip -k single.tar
            zstd -q single.tar -o single.tar.zst
            skopeo copy -q --all oci:layout:multi oci-archive:multi.tar:multi
            gzip -k multi.tar
            skopeo copy -q oci:layout:amd64 docker-archive:single-docker.tar:example/single:v1
            skopeo copy -q --override-arch arm64 oci:layout:multi docker-archive:multi-arm64-docker.tar:example/multi:arm64
            skopeo copy -q --override-arch amd64 oci:layout:multi docker-archive:multi-amd64-docker.tar:example/multi:amd64
            """)
    }

    /// The same docker archive with its layer files gzip-compressed in place, as some tools save.
    private func makeCompressedLayerDockerArchive() throws {
        try sh("""
            mkdir gz && tar -xf single-docker.tar -C gz
            for f in gz/*.tar; do gzip -n "$f" && mv "$f.gz" "$f"; done
            tar -cf gz-layer-docker.tar -C gz .
            """)
    }

    /// What Docker 25 and later save: an OCI layout plus the legacy manifest.json.
    private func makeDocker25Archive() throws {
        try sh("""
            mkdir d25 && tar -xf single.tar -C d25
            python3 - <<'PY'
            import json
            idx = json.load(open('d25/index.json'))
            entry = idx['manifests'][0]
            entry['annotations'] = {'io.containerd.image.name': 'docker.io/example/modern:v25', 'org.opencontainers.image.ref.name': 'v25'}
            json.dump(idx, open('d25/index.json', 'w'))
            manifest = json.load(open('d25/blobs/sha256/' + entry['digest'].split(':')[1]))
            json.dump([{'Config': 'blobs/sha256/' + manifest['config']['digest'].split(':')[1],
                        'RepoTags': ['example/modern:v25'],
                        'Layers': ['blobs/sha256/' + l['digest'].split(':')[1] for l in manifest['layers']]}],
                      open('d25/manifest.json', 'w'))
            PY
            tar -cf docker25.tar -C d25 .
            """)
    }
}
