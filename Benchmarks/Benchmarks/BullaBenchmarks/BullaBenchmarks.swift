import Benchmark
import Bulla
import BullaCrypto
import Foundation

/// Throughput of the digest primitive and of whole-image verification. The figures that carry
/// the issue targets are the ratios scripts/bench.sh prints against openssl in the same run;
/// these track regressions between runs.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .peakMemoryResident], maxDuration: .seconds(3))

    for size in [64, 1024, 16 * 1024, 1 << 20] {
        let block = [UInt8](repeating: 0x5A, count: size)
        Benchmark("sha256 one-shot \(size) B", configuration: .init(scalingFactor: .kilo)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(Digest.compute(.sha256, over: block))
            }
        }
    }

    let streamed = [UInt8](repeating: 0xA5, count: 16 * 1024)
    Benchmark("sha256 streaming 64 MiB in 16 KiB updates") { benchmark in
        var hasher = StreamingDigest(.sha256)
        streamed.withUnsafeBytes { buffer in
            for _ in 0..<4096 { hasher.update(buffer) }
        }
        blackHole(hasher.finalize())
    }

    Benchmark("digest parse + format") { benchmark in
        let text = "sha256:" + String(repeating: "ab", count: 32)
        for _ in benchmark.scaledIterations {
            blackHole(try Digest(parsing: text).description)
        }
    }

    // The transparency log: durable appends, single and batched, and proofs from tiles at
    // 1,000,000 entries (bulla-logbench gives the same figures beside the fsync rate).
    let logPath = NSTemporaryDirectory() + "bulla-bench-log-\(getpid())"
    let log = try! TransparencyLog.create(at: logPath, origin: "bench.example/log")
    for start in stride(from: 0, to: 1_000_000, by: 20_000) {
        try! log.append((start..<(start + 20_000)).map { Array("entry \($0) ".utf8) + [UInt8](repeating: 0x78, count: 256) })
    }
    let entry = [UInt8](repeating: 0x61, count: 300)
    Benchmark("log: one durable append") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try log.append([entry])) }
    }
    Benchmark("log: durable batch of 1,000 appends", configuration: .init(scalingFactor: .kilo)) { benchmark in
        blackHole(try log.append([[UInt8]](repeating: entry, count: 1_000)))
    }
    Benchmark("log: inclusion proof at 1 M entries") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try log.inclusionProof(index: UInt64.random(in: 0..<1_000_000))) }
    }
    Benchmark("log: consistency proof at 1 M entries") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try log.consistencyProof(from: UInt64.random(in: 1..<1_000_000))) }
    }

    // A layout on disk under the system temp dir: 4 layers of 32 MiB.
    let layout = BenchLayout.make(layers: 4, layerBytes: 32 << 20)
    for jobs in [1, 2] {
        Benchmark("verify-content 128 MiB layout, \(jobs) job(s)") { benchmark in
            let source = try ImageSources.open(.ociLayout(path: layout, tag: nil))
            blackHole(try ContentVerifier(source: source, jobs: jobs).verify())
        }
    }
}

enum BenchLayout {
    /// Writes an OCI layout of random layers and returns its path.
    static func make(layers: Int, layerBytes: Int) -> String {
        let root = NSTemporaryDirectory() + "bulla-bench-layout-\(layers)x\(layerBytes)"
        let blobs = root + "/blobs/sha256"
        try? FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func write(_ bytes: [UInt8], _ mediaType: String) -> String {
            let digest = Digest.compute(over: bytes)
            _ = FileManager.default.createFile(atPath: "\(blobs)/\(digest.hex)", contents: Data(bytes))
            return #"{"mediaType":"\#(mediaType)","digest":"\#(digest)","size":\#(bytes.count)}"#
        }
        var generator = SystemRandomNumberGenerator()
        let layerDescriptors = (0..<layers).map { _ in
            write((0..<layerBytes / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }, MediaType.ociLayerGzip)
        }
        let config = write(Array(#"{"architecture":"amd64","os":"linux"}"#.utf8), MediaType.ociConfig)
        let manifest = write(Array(#"{"schemaVersion":2,"mediaType":"\#(MediaType.ociManifest)","config":\#(config),"layers":[\#(layerDescriptors.joined(separator: ","))]}"#.utf8), MediaType.ociManifest)
        _ = FileManager.default.createFile(atPath: root + "/index.json", contents: Data(#"{"schemaVersion":2,"manifests":[\#(manifest)]}"#.utf8))
        _ = FileManager.default.createFile(atPath: root + "/oci-layout", contents: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        return root
    }
}
