// The transparency log's figures, measured in one run beside the machine's fsync rate:
//   bulla-logbench DIR ENTRIES [BATCH]
// durable batched appends (entries/s), single durable appends (p50/p99 latency), inclusion and
// consistency proofs at the final size (µs each), resident memory as the log grows, and the
// audit's hashing rate (bytes/s).
import BenchSupport
import Bulla
import BullaCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Resident memory in MiB: the second field of /proc/self/statm, in pages.
func residentMiB() -> Double {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
    let fields = String(cString: line).split(separator: " ")
    let pages = fields.count > 1 ? Double(fields[1]) ?? 0 : 0
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// fsyncs per second of a small file rewritten in place: the ceiling on durable commits.
func fsyncRate(in directory: String, seconds: Double = 2) -> Double {
    let path = "\(directory)/fsync-probe"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer { close(fd); unlink(path) }
    let block = [UInt8](repeating: 1, count: 4096)
    var count = 0
    let start = now()
    while now() - start < seconds {
        _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        fsync(fd)
        count += 1
    }
    return Double(count) / (now() - start)
}

/// `openssl speed -evp sha256` for messages of `bytes` bytes, in bytes/s: the physical limit
/// the audit is measured against, taken in the same run.
func opensslRate(bytes: Int) -> Double {
    guard let pipe = popen("openssl speed -evp sha256 -bytes \(bytes) -seconds 1 2>/dev/null | tail -1", "r") else { return 0 }
    defer { pclose(pipe) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, Int32(line.count), pipe) != nil, let last = String(cString: line).split(separator: " ").last else { return 0 }
    return (Double(last.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()) ?? 0) * 1000
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let total = Int(arguments[2]) else {
    print("usage: bulla-logbench DIR ENTRIES [BATCH]")
    exit(2)
}
let directory = arguments[1]
// `bulla-logbench DIR N proofs`: only the proofs, over a log an earlier run left (for profiling).
if arguments.count > 3, arguments[3] == "proofs" {
    let log = try TransparencyLog(opening: directory, forWriting: false)
    let start = now()
    for _ in 0..<total { _ = try log.inclusionProof(index: UInt64.random(in: 0..<log.size)) }
    print("inclusion proofs at \(log.size) entries: \(String(format: "%.1f", (now() - start) / Double(total) * 1e6)) µs each")
    exit(0)
}
let batch = arguments.count > 3 ? Int(arguments[3]) ?? 10_000 : 10_000
_ = system("rm -rf '\(directory)'")
let log = try TransparencyLog.create(at: directory, origin: "bench.example/log")
let fsyncs = fsyncRate(in: directory)

// An entry the size of a Rekor-style dsse body (~300 bytes).
func entry(_ i: Int) -> [UInt8] { Array(("{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"n\":\(i)}" + String(repeating: "x", count: 256)).utf8) }

var memory: [(Int, Double)] = []
var appended = 0
let appendStart = now()
while appended < total {
    let count = min(batch, total - appended)
    try log.append((appended..<(appended + count)).map(entry))
    appended += count
    if appended == 100_000 || appended == total || appended % 1_000_000 == 0 { memory.append((appended, residentMiB())) }
}
let appendSeconds = now() - appendStart

var latencies: [Double] = []
for i in 0..<200 {
    let start = now()
    try log.append([entry(total + i)])
    latencies.append(now() - start)
}
latencies.sort()

// The audit twice: first over files as the appends left them (on this machine the page cache
// keeps little of what was written, so this one reads from disk), then again with every file
// in the page cache, which measures the hashing itself.
let key = try SigningKey.generate(.ed25519)
try log.signCheckpoint(with: key)
let verifier = try NoteVerifier(name: log.origin, key: key.publicKey)
var auditStart = now()
let audit = try log.audit(verifier: verifier)
let coldSeconds = now() - auditStart
auditStart = now()
_ = try log.audit(verifier: verifier)
let auditSeconds = now() - auditStart

// Proofs with the log's files in the page cache (as the audit left them) and the log's own
// tile cache cold at first.
let proofLog = try TransparencyLog(opening: directory, forWriting: false)
let size = proofLog.size
var inclusion = 0.0, consistency = 0.0
let trials = 2000
for _ in 0..<trials {
    let index = UInt64.random(in: 0..<size)
    var start = now()
    _ = try proofLog.inclusionProof(index: index)
    inclusion += now() - start
    let old = UInt64.random(in: 1..<size)
    start = now()
    _ = try proofLog.consistencyProof(from: old)
    consistency += now() - start
}

// The audit hashes each entry with its 0x00 prefix and each node as 65 bytes; openssl's time
// for the same two sizes, weighted by the bytes of each, is the reference.
let leafBytes = (0..<Int(audit.size)).reduce(0) { $0 + entry($1).count + 1 }
let leafSize = leafBytes / max(1, Int(audit.size))
let opensslSeconds = Double(leafBytes) / opensslRate(bytes: leafSize) + Double(audit.bytesHashed - leafBytes) / opensslRate(bytes: 65)
let auditRate = Double(audit.bytesHashed) / auditSeconds
let opensslMix = Double(audit.bytesHashed) / opensslSeconds

print("fsync rate: \(Int(fsyncs)) fsyncs/s")
print("batched durable appends: \(Int(Double(total) / appendSeconds)) entries/s (\(total) entries in batches of \(batch), \(String(format: "%.1f", appendSeconds)) s)")
print("single durable append: p50 \(String(format: "%.2f", latencies[latencies.count / 2] * 1000)) ms (\(String(format: "%.1f", latencies[latencies.count / 2] * fsyncs)) fsync periods), p99 \(String(format: "%.2f", latencies[latencies.count * 99 / 100] * 1000)) ms")
print("proofs at \(size) entries: inclusion \(String(format: "%.1f", inclusion / Double(trials) * 1e6)) µs, consistency \(String(format: "%.1f", consistency / Double(trials) * 1e6)) µs (mean of \(trials); files in the page cache, the log's tile cache cold at first)")
print("resident memory: " + memory.map { "\($0.0) entries \(String(format: "%.1f", $0.1)) MiB" }.joined(separator: ", "))
print("audit from disk: \(audit.bytesHashed) bytes hashed in \(String(format: "%.2f", coldSeconds)) s = \(Int(Double(audit.bytesHashed) / coldSeconds)) bytes/s")
print("audit, files cached: \(audit.size) entries, \(audit.bytesHashed) bytes hashed in \(String(format: "%.2f", auditSeconds)) s = \(Int(auditRate)) bytes/s; openssl speed for the same mix (\(leafSize)-byte leaves, 65-byte nodes) \(Int(opensslMix)) bytes/s: ratio \(String(format: "%.2f", auditRate / opensslMix))")
