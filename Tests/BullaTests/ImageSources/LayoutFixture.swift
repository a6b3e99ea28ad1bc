import Bulla
import BullaCrypto
import Foundation

/// Writes small OCI image layouts for tests, blob by blob, so each test can break one thing.
struct LayoutFixture {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "bulla-layout-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        try write("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/\(path)"))
    }

    @discardableResult
    func blob(_ bytes: [UInt8], mediaType: String, platform: Platform? = nil, tag: String? = nil) throws -> Descriptor {
        let digest = Digest.compute(over: bytes)
        try write("blobs/sha256/\(digest.hex)", bytes)
        return Descriptor(
            mediaType: mediaType, digest: digest, size: Int64(bytes.count),
            annotations: tag.map { [AnnotationKey.referenceName: $0] }, platform: platform)
    }

    /// An image: a config, `layers` layers of distinct content, and its manifest.
    func image(layers: Int = 2, seed: String = "a") throws -> Descriptor {
        let config = try blob(Array(#"{"architecture":"amd64","os":"linux","seed":"\#(seed)"}"#.utf8), mediaType: MediaType.ociConfig)
        let layerDescriptors = try (0..<layers).map { i in
            try blob(Array("layer \(i) of \(seed) ".utf8) + [UInt8](repeating: UInt8(i), count: 1000 * (i + 1)), mediaType: MediaType.ociLayerGzip)
        }
        let manifest = """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":\(try json(config)),"layers":[\(try layerDescriptors.map(json).joined(separator: ","))]}
            """
        return try blob(Array(manifest.utf8), mediaType: MediaType.ociManifest)
    }

    func index(_ children: [Descriptor]) throws -> Descriptor {
        let text = #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[\#(try children.map(json).joined(separator: ","))]}"#
        return try blob(Array(text.utf8), mediaType: MediaType.ociIndex)
    }

    func setIndex(_ entries: [Descriptor]) throws {
        try write("index.json", Array(#"{"schemaVersion":2,"manifests":[\#(try entries.map(json).joined(separator: ","))]}"#.utf8))
    }

    func blobPath(_ descriptor: Descriptor) -> String { "\(root)/blobs/sha256/\(descriptor.digest.hex)" }

    func tagged(_ descriptor: Descriptor, _ tag: String) -> Descriptor {
        var copy = descriptor
        copy.annotations = [AnnotationKey.referenceName: tag]
        return copy
    }

    private func json(_ descriptor: Descriptor) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(descriptor), as: UTF8.self)
    }
}
