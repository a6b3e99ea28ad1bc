#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock, for the benchmark executables' timings.
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
