// Hashes one block size repeatedly for a fixed time, like `openssl speed -evp sha256 -bytes N`,
// and prints bytes per second. Usage: bulla-speed [BLOCK_BYTES] [SECONDS] [sha256|sha384|sha512]
import BullaCrypto
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
let blockSize = arguments.count > 1 ? Int(arguments[1]) ?? 16384 : 16384
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
let algorithm = arguments.count > 3 ? DigestAlgorithm(rawValue: arguments[3]) ?? .sha256 : .sha256
let block = [UInt8](repeating: 0x5A, count: blockSize)

// As openssl speed does: a full digest (init, update, final) of each block.
var count = 0
var sink: UInt8 = 0
let start = now()
var elapsed = 0.0
block.withUnsafeBytes { buffer in
    while elapsed < seconds {
        for _ in 0..<64 {
            var hasher = StreamingDigest(algorithm)
            hasher.update(buffer)
            sink ^= hasher.finalize().bytes[0]
        }
        count += 64
        elapsed = now() - start
    }
}
print("\(algorithm.rawValue) \(blockSize) bytes: \(Int(Double(count * blockSize) / elapsed)) bytes/s (\(count) blocks in \(elapsed) s) \(sink == 0 ? "" : " ")")
