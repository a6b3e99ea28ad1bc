import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's `docker-registry` on 127.0.0.1, three times over (Tests/Fixtures/registries.py):
/// open, behind htpasswd basic auth, and behind a bearer-token server. Started once per test
/// run and gone when the run ends (the script exits when its standard input closes).
final class Registries: @unchecked Sendable {
    let open: String
    let basic: String
    let token: String
    let tokenServer: String
    let basicLogin: (user: String, password: String)
    let tokenLogin: (user: String, password: String)
    private let process: Spawned

    static let script = AttestationPolicyTests.fixtures.appendingPathComponent("registries.py").path
    static let faultScript = AttestationPolicyTests.fixtures.appendingPathComponent("registry_faults.py").path

    /// The run's shared registries.
    static let shared: Result<Registries, any Error> = Result { try Registries() }
    static func get() throws -> Registries { try shared.get() }

    init() throws {
        _ = try Peers.path("docker-registry")
        process = try Spawned([try Peers.path("python3"), Self.script])
        let line = try process.firstLine(what: "registries.py")
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
              let open = object["open"], let basic = object["basic"], let token = object["token"], let tokenServer = object["token_server"],
              let basicUser = object["basic_user"], let basicPassword = object["basic_password"],
              let tokenUser = object["token_user"], let tokenPassword = object["token_password"] else {
            throw ServerFailed(message: "registries.py printed \(line)")
        }
        (self.open, self.basic, self.token, self.tokenServer) = (open, basic, token, tokenServer)
        basicLogin = (basicUser, basicPassword)
        tokenLogin = (tokenUser, tokenPassword)
    }

    func stop() { process.stop() }

    /// A docker config.json holding `login` for `host`.
    static func authFile(in dir: String, host: String, user: String, password: String) throws -> String {
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        let path = "\(dir)/auth-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: ["auths": [host: ["auth": auth]]]).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A fault-injecting proxy (Tests/Fixtures/registry_faults.py) in front of a registry.
final class FaultProxy {
    let address: String
    private let process: Spawned

    /// `location`: the `Location` the `redirect` mode answers with (its `--location`).
    init(upstream: String, mode: String, location: String? = nil) throws {
        let redirect = location.map { ["--location", $0] } ?? []
        process = try Spawned([try Peers.path("python3"), Registries.faultScript, "--upstream", upstream, "--mode", mode] + redirect)
        let line = try process.firstLine(what: "registry_faults.py \(mode)")
        guard line.hasPrefix("listening on "), let address = line.split(separator: " ").last else {
            throw ServerFailed(message: "registry_faults.py printed \(line)")
        }
        self.address = String(address)
    }

    func stop() { process.stop() }

    /// Every request the proxy saw: method, path, time (seconds), status.
    func log() throws -> [[String: Any]] {
        let text = try Command.succeed(["curl", "-sf", "http://\(address)/_faults/log"])
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
    }
}

/// A helper process with pipes on its standard input (which it watches: it exits when the
/// pipe closes, so nothing outlives the test run) and output; stopped by SIGTERM and reaped
/// here, by pid.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var stopped = false

    /// `errors`: a file to take the process's standard error (default: discarded).
    init(_ arguments: [String], errors: String = "/dev/null", environment: [String: String] = [:]) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw ServerFailed(message: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let envp = env.map { strdup("\($0)=\($1)") } + [nil]
        defer { envp.forEach { free($0) } }
        let spawned = Command.spawn(&pid, arguments[0], &actions, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else { throw ServerFailed(message: "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        self.pid = pid
        input = toChild[1]
        output = fromChild[0]
        _ = fcntl(input, F_SETFD, FD_CLOEXEC)
        _ = fcntl(output, F_SETFD, FD_CLOEXEC)
    }

    /// The first line the process prints, waiting at most `timeout` seconds.
    func firstLine(what: String, timeout: Int32 = 60_000) throws -> String {
        var seen: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeout) == 1 else { break }
            let n = read(output, &buffer, buffer.count)
            guard n > 0 else { break }
            seen += buffer[0..<n]
            if let newline = seen.firstIndex(of: 0x0A) { return String(decoding: seen[..<newline], as: UTF8.self) }
        }
        stop()
        throw ServerFailed(message: "\(what) did not start: \(String(decoding: seen, as: UTF8.self))")
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(50_000) }
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        close(input)
        close(output)
    }

    deinit { stop() }
}
