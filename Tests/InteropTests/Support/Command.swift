import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion and reports what it printed, its exit status and its peak memory.
struct Command {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Peak resident memory of the process, in KiB (getrusage's ru_maxrss).
        let maxRSSKiB: Int
        var out: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// `arguments[0]` is looked up on PATH unless it contains a '/'.
    static func run(_ arguments: [String], in directory: String? = nil, stdinData: Data? = nil, environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> Result {
        let scratch = NSTemporaryDirectory() + "bulla-cmd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/out", errPath = scratch + "/err", inPath = scratch + "/in"
        _ = FileManager.default.createFile(atPath: inPath, contents: stdinData ?? Data())

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let program = arguments[0].contains("/") ? arguments[0] : try Peers.path(arguments[0])
        // GNU env's -C changes directory for the child alone.
        let executable = directory == nil ? program : "/usr/bin/env"
        let full = directory.map { ["/usr/bin/env", "-C", $0, program] + arguments.dropFirst() } ?? [program] + arguments.dropFirst()
        let argv = full.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Each child gets its own environment: tests run in parallel and must not setenv.
        let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = Command.spawn(&pid, executable, &actions, argv, envp)
        guard spawned == 0 else {
            throw PeerMissing(message: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        // A hang is a failure, not a stuck CI run: kill the child after `timeout` seconds.
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let waited = wait4(pid, &status, WNOHANG, &usage)
            if waited == pid || (waited < 0 && errno != EINTR) { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
                throw PeerMissing(message: "\(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
            }
            usleep(2_000)
        }
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(
            status: exit,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
            maxRSSKiB: Int(usage.ru_maxrss))
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    static func succeed(_ arguments: [String], in directory: String? = nil, stdinData: Data? = nil, environment: [String: String] = [:]) throws -> String {
        let result = try run(arguments, in: directory, stdinData: stdinData, environment: environment)
        guard result.status == 0 else {
            throw PeerMissing(message: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.out
    }
}

struct PeerMissing: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The real programs the interop tests compare against. A missing peer is a failure, never a
/// skip: `make test` installs them all.
enum Peers {
    static func path(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw PeerMissing(message: "\(name) is not installed: run make test, which installs every peer")
    }

    /// The `bulla` built beside this test bundle.
    static let bulla: String = {
        if let explicit = ProcessInfo.processInfo.environment["BULLA_BIN"] { return explicit }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("bulla").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/bulla").path
    }()

    /// Runs bulla with `BULLA_PASSWORD=pw`, the passphrase of every key the tests make.
    static func bulla(_ arguments: String..., in directory: String? = nil, password: String = "pw") throws -> Command.Result {
        try Command.run([bulla] + arguments, in: directory, environment: ["BULLA_PASSWORD": password])
    }
}

extension Command {
    /// posix_spawn with the child's signals reset: none blocked and SIGTERM, SIGINT, SIGHUP and
    /// SIGPIPE at their defaults. A child otherwise inherits the spawning thread's mask, and a
    /// test thread may have SIGTERM blocked, so `stop()`'s SIGTERM would never arrive.
    static func spawn(
        _ pid: inout pid_t, _ path: String, _ actions: inout posix_spawn_file_actions_t,
        _ argv: [UnsafeMutablePointer<CChar>?], _ envp: [UnsafeMutablePointer<CChar>?]
    ) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    }
}
