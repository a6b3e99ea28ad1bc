import Bulla
import BullaCrypto
import Foundation
import Testing

@Suite struct OCILayoutTests {
    private func open(_ fixture: LayoutFixture, tag: String? = nil) throws -> any ImageSource {
        try ImageSources.open(.ociLayout(path: fixture.root, tag: tag))
    }

    @Test func aTagNamesItsEntryAndTheDigestIsOfTheStoredBytes() throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        let one = try fixture.image(seed: "one")
        let two = try fixture.image(seed: "two")
        try fixture.setIndex([fixture.tagged(one, "v1"), fixture.tagged(two, "v2")])
        #expect(try open(fixture, tag: "v2").resolve().digest == two.digest)
        #expect(try open(fixture, tag: "v1").resolve().digest == one.digest)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.blobPath(two)))
        #expect(Digest.compute(over: bytes) == two.digest)
    }

    @Test func anUntaggedLayoutOfSeveralImagesAsksForATag() throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        try fixture.setIndex([fixture.tagged(try fixture.image(seed: "1"), "a"), fixture.tagged(try fixture.image(seed: "2"), "b")])
        let error = #expect(throws: BullaError(.invalidArgument)) { try open(fixture).resolve() }
        #expect(error?.message.contains("a, b") == true)
        let missing = #expect(throws: BullaError(.notFound)) { try open(fixture, tag: "c").resolve() }
        #expect(missing?.message.contains("no tag \"c\"") == true)
    }

    @Test func platformPicksTheChildOfAnIndex() throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        var amd = try fixture.image(seed: "amd")
        amd.platform = Platform(os: "linux", architecture: "amd64")
        var arm = try fixture.image(seed: "arm")
        arm.platform = Platform(os: "linux", architecture: "arm64", variant: "v8")
        let index = try fixture.index([amd, arm])
        try fixture.setIndex([index])
        let source = try open(fixture)
        #expect(try source.resolve().digest == index.digest)
        #expect(try source.resolve(platform: Platform(parsing: "linux/arm64")).digest == arm.digest)
        #expect(try source.resolve(platform: Platform(parsing: "linux/amd64")).digest == amd.digest)
        let error = #expect(throws: BullaError(.notFound)) { try source.resolve(platform: Platform(parsing: "linux/s390x")) }
        #expect(error?.message.contains("linux/amd64, linux/arm64/v8") == true)
    }

    @Test func missingMarkerOrWrongVersionIsRefused() throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        try fixture.setIndex([try fixture.image()])
        try fixture.write("oci-layout", Array(#"{"imageLayoutVersion":"2.0.0"}"#.utf8))
        #expect(throws: BullaError(.unsupported)) { try open(fixture) }
        try FileManager.default.removeItem(atPath: fixture.root + "/oci-layout")
        let error = #expect(throws: BullaError(.notFound)) { try open(fixture) }
        #expect(error?.message.contains("no oci-layout") == true)
    }

    @Test func aManifestThatDoesNotMatchItsDescriptorIsNeverParsed() throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        let image = try fixture.image()
        var lying = image
        lying.size += 1
        try fixture.setIndex([lying])
        let error = #expect(throws: BullaError(.sizeMismatch)) { try open(fixture).resolve() }
        #expect(error?.message.contains("expected \(lying.size) bytes, read \(image.size)") == true)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.blobPath(image))))
        bytes[10] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.blobPath(image)))
        try fixture.setIndex([image])
        #expect(throws: BullaError(.digestMismatch)) { try open(fixture).resolve() }
    }
}

@Suite struct ContentVerifierTests {
    private func layerPaths(_ fixture: LayoutFixture, _ manifest: Descriptor) throws -> [String] {
        let document = try ImageSources.open(.ociLayout(path: fixture.root, tag: nil)).manifest(manifest)
        guard case .image(let image) = document.content else { return [] }
        return ([image.config] + image.layers).map(fixture.blobPath)
    }

    @Test(arguments: [1, 2])
    func anIntactImageVerifies(jobs: Int) throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        try fixture.setIndex([try fixture.image(layers: 5)])
        let report = try ContentVerifier(source: ImageSources.open(.ociLayout(path: fixture.root, tag: nil)), jobs: jobs).verify()
        #expect(report.verified)
        #expect(report.blobs == 7)
    }

    enum Damage: String, CaseIterable, Sendable { case flip, truncate, remove, extend }

    @Test(arguments: Damage.allCases, [0, 1, 2])
    func damageToAnyBlobIsReportedByName(_ damage: Damage, blob: Int) throws {
        let fixture = try LayoutFixture()
        defer { fixture.remove() }
        let manifest = try fixture.image(layers: 2)
        try fixture.setIndex([manifest])
        let path = try layerPaths(fixture, manifest)[blob]
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        switch damage {
        case .flip: bytes[bytes.count / 2] ^= 0x01
        case .truncate: bytes.removeLast()
        case .extend: bytes.append(0)
        case .remove: bytes = []
        }
        if damage == .remove {
            try FileManager.default.removeItem(atPath: path)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        let report = try ContentVerifier(source: ImageSources.open(.ociLayout(path: fixture.root, tag: nil))).verify()
        #expect(!report.verified)
        #expect(report.failures.count == 1)
        let failure = try #require(report.failures.first)
        #expect(path.hasSuffix(failure.digest.hex))
        #expect(failure.parent == manifest.digest)
        let expected: [Damage: String] = [.flip: "digestMismatch", .truncate: "sizeMismatch", .extend: "sizeMismatch", .remove: "notFound"]
        #expect(failure.reason == expected[damage])
    }
}
