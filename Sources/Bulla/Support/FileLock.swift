import BullaCrypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock (flock(2)) on a file or a directory, held while this value lives: one
/// writer at a time for a transparency log or a layout, across processes. Waiting is bounded,
/// so a writer that never lets go makes the next one fail naming it, never hang.
final class FileLock: Sendable {
    private let fd: Int32

    /// Locks `path` (a directory, or a file made if missing), waiting up to `wait` for the
    /// holder; then throws `busy` with the message `held` gives.
    init(_ path: String, directory: Bool = false, waiting wait: Duration = .zero, held: @autoclosure () -> String) throws {
        fd = try Self.acquire(path, directory: directory, until: .now + wait, held: held)
    }

    deinit { close(fd) }  // also releases the lock

    private static func acquire(_ path: String, directory: Bool, until deadline: ContinuousClock.Instant, held: () -> String) throws -> Int32 {
        let fd = directory ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BullaError.system("cannot open \(path)") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let failure: BullaError? = switch errno {
            case EINTR: nil
            case EWOULDBLOCK where ContinuousClock.now < deadline: nil
            case EWOULDBLOCK: BullaError(.busy, held())
            default: BullaError.system("cannot lock \(path)")
            }
            if let failure {
                close(fd)
                throw failure
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return fd
    }
}
