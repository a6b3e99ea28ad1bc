@testable import Bulla
import BullaCrypto
import Testing

struct ReferenceVector: Decodable, Sendable, CustomTestStringConvertible {
    let text: String
    let kind: String
    let path: String?
    let tag: String?
    let selector: String?
    /// For a registry reference: its normalised form.
    let canonical: String?
    var testDescription: String { text.debugDescription }
    static let all = try! SpecVectors.load([ReferenceVector].self, "references.json")
}

@Suite struct ImageReferenceTests {
    @Test(arguments: ReferenceVector.all)
    func parsesAsSpecified(_ vector: ReferenceVector) throws {
        guard vector.kind != "invalid" else {
            #expect(throws: BullaError.self) { try ImageReference(parsing: vector.text) }
            return
        }
        let reference = try ImageReference(parsing: vector.text)
        switch reference {
        case .ociLayout(let path, let tag):
            #expect(vector.kind == "ociLayout")
            #expect(path == vector.path)
            #expect(tag == vector.tag)
        case .ociArchive(let path, let tag):
            #expect(vector.kind == "ociArchive")
            #expect(path == vector.path)
            #expect(tag == vector.tag)
        case .dockerArchive(let path, let selector):
            #expect(vector.kind == "dockerArchive")
            #expect(path == vector.path)
            #expect(selector?.description == vector.selector)
        case .registry(let image):
            #expect(vector.kind == "registry")
            #expect(image.description == vector.canonical)
        }
    }

    @Test(arguments: [
        ("alpine", "docker.io/library/alpine:latest"),
        ("library/alpine:3.20", "docker.io/library/alpine:3.20"),
        ("docker.io/library/alpine:latest", "docker.io/library/alpine:latest"),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app:v1"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("localhost/app:1", "localhost/app:1"),
    ])
    func dockerNamesNormaliseAsDockerSaveWritesThem(_ text: String, _ expected: String) throws {
        #expect(try DockerReference(parsing: text).description == expected)
    }
}
