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

let size = log.size
var inclusion = 0.0, consistency = 0.0
let trials = 2000
for _ in 0..<trials {
    let index = UInt64.random(in: 0..<size)
    var start = now()
    _ = try log.inclusionProof(index: index)
    inclusion += now() - start
    let old = UInt64.random(in: 1..<size)
    start = now()
    _ = try log.consistencyProof(from: old)
    consistency += now() - start
}

let key = try SigningKey.generate(.ed25519)
try log.signCheckpoint(with: key)
let auditStart = now()
let audit = try log.audit(verifier: try NoteVerifier(name: log.origin, key: key.publicKey))
let auditSeconds = now() - auditStart

print("fsync rate: \(Int(fsyncs)) fsyncs/s")
print("batched durable appends: \(Int(Double(total) / appendSeconds)) entries/s (\(total) entries in batches of \(batch), \(String(format: "%.1f", appendSeconds)) s)")
print("single durable append: p50 \(String(format: "%.2f", latencies[latencies.count / 2] * 1000)) ms, p99 \(String(format: "%.2f", latencies[latencies.count * 99 / 100] * 1000)) ms")
print("proofs at \(size) entries: inclusion \(String(format: "%.1f", inclusion / Double(trials) * 1e6)) µs, consistency \(String(format: "%.1f", consistency / Double(trials) * 1e6)) µs (mean of \(trials), cold tile cache at first)")
print("resident memory: " + memory.map { "\($0.0) entries \(String(format: "%.1f", $0.1)) MiB" }.joined(separator: ", "))
print("audit: \(audit.size) entries, \(audit.bytesHashed) bytes hashed in \(String(format: "%.2f", auditSeconds)) s = \(Int(Double(audit.bytesHashed) / auditSeconds)) bytes/s")
