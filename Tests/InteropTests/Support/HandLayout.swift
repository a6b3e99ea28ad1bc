import Foundation

/// An OCI image layout written by hand, blob by blob, for tests whose layouts no tool would
/// write (sizes that lie, indexes that repeat a child thousands of times).
struct HandLayout {
    let path: String

    /// Makes `path` with `oci-layout` and an empty `blobs/sha256`.
    init(at path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: "\(path)/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: "\(path)/oci-layout"))
    }

    /// Stores `text` as a blob; returns its digest.
    @discardableResult
    func blob(_ text: String) throws -> String {
        let bytes = Data(text.utf8)
        let hex = try HostileRegistryTests.sha256(bytes)
        try bytes.write(to: URL(fileURLWithPath: "\(path)/blobs/sha256/\(hex)"))
        return "sha256:\(hex)"
    }

    /// Writes `index.json` listing `entries` (descriptor JSON texts).
    func index(_ entries: [String]) throws {
        let text = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(entries.joined(separator: ","))]}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(path)/index.json"))
    }
}
