import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A running `bulla serve`, reached over TLS with the CA `deploy/make-cert.sh` made, and
/// asked by Tests/Fixtures/admission.py as the API server would.
final class Webhook: @unchecked Sendable {
    let address: String
    let errors: String
    let ca: String
    private let process: Spawned

    static let client = AttestationPolicyTests.fixtures.appendingPathComponent("admission.py").path
    static let root = AttestationPolicyTests.fixtures.deletingLastPathComponent().deletingLastPathComponent()
    static let makeCert = root.appendingPathComponent("deploy/make-cert.sh").path

    /// Makes a CA and serving certificate for 127.0.0.1 in `dir/tls`, once per directory.
    static func certificates(in dir: String) throws -> String {
        let tls = "\(dir)/tls"
        if !FileManager.default.fileExists(atPath: "\(tls)/tls.crt") {
            _ = try Command.succeed(["bash", makeCert, tls], environment: ["EXTRA_SANS": "IP:127.0.0.1,DNS:localhost"])
        }
        return tls
    }

    /// `tls` names the directory whose tls.crt and tls.key are served (default: the one
    /// `certificates(in:)` makes).
    convenience init(policy: String, in dir: String, tls: String? = nil, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let tls = try tls ?? Self.certificates(in: dir)
        try self.init(
            command: ["serve", "--policy", policy, "--tls-cert", "\(tls)/tls.crt", "--tls-key", "\(tls)/tls.key", "--listen", "127.0.0.1:0"] + arguments,
            ca: "\(tls)/ca.crt", in: dir, environment: ["BULLA_PASSWORD": "pw"].merging(environment) { _, new in new })
    }

    /// `bulla COMMAND…` exactly as given, its certificate checked against `ca`.
    init(command: [String], ca: String, in dir: String, environment: [String: String]) throws {
        self.ca = ca
        errors = "\(dir)/serve-\(UUID().uuidString).log"
        process = try Spawned([Peers.bulla] + command, errors: errors, environment: environment)
        let line = try process.firstLine(what: "bulla serve")
        guard let url = line.split(separator: " ").first(where: { $0.hasPrefix("https://") }) else {
            throw ServerFailed(message: "bulla serve printed \(line); \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        }
        address = String(url.dropFirst("https://".count))
    }

    var pid: pid_t { process.pid }
    var url: String { "https://\(address)" }

    func stop() { process.stop() }

    /// Sends each case (admission.py's form) and returns its results.
    func review(_ cases: [[String: Any]]) throws -> [[String: Any]] {
        let input = try JSONSerialization.data(withJSONObject: cases)
        let out = try Command.succeed([try Peers.path("python3"), Self.client, "review", "--url", url, "--ca", ca], stdinData: input)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
    }

    /// GET `path` with curl, checking the certificate: the status and the body.
    func get(_ path: String) throws -> (status: Int, body: String) {
        let result = try Command.run(["curl", "-s", "--cacert", ca, "-w", "\n%{http_code}", "\(url)\(path)"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// `/metrics` as sample name (with labels) → value.
    func metrics() throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in try get("/metrics").body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// What the process wrote to standard error: its JSON log lines.
    func logLines() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Resident memory, from /proc.
    var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// The review body admission.py makes for one Pod, for wrk.
    static func body(image: String, to path: String) throws {
        let out = try Command.succeed([try Peers.path("python3"), client, "body", "--image", image])
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// wrk over TLS: POSTs a body file, counts answers whose status is not `expect`, and reports
/// the latency distribution (wrk measures each request from send to answer; `paceMs` spaces a
/// connection's requests so the rate can be set below the maximum).
enum Wrk {
    struct Result: Sendable {
        var requests: Int
        var seconds: Double
        var p50Micros: Int
        var p99Micros: Int
        var maxMicros: Int
        var unexpected: Int
        var socketErrors: Int
        var rate: Double { Double(requests) / seconds }
    }

    static let script = """
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        local f = io.open(os.getenv("WRK_BODY"), "rb")
        wrk.body = f:read("*a")
        f:close()
        local pace = tonumber(os.getenv("WRK_PACE_MS") or "0")
        local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
        local limit = tonumber(os.getenv("WRK_LIMIT") or "0")
        local threads = {}
        function setup(thread) table.insert(threads, thread) end
        function init(args) answered = 0; unexpected = 0 end
        if pace > 0 then function delay() return pace end end
        function response(status, headers, body)
          answered = answered + 1
          if status ~= expect then unexpected = unexpected + 1 end
          if limit > 0 and answered >= limit then wrk.thread:stop() end
        end
        function done(summary, latency, requests)
          local unexpected = 0
          for _, t in ipairs(threads) do unexpected = unexpected + t:get("unexpected") end
          local e = summary.errors
          io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
            latency:percentile(50), latency:percentile(99), latency.max, unexpected, e.connect + e.read + e.write + e.timeout))
        end
        """

    static func run(
        url: String, body: String, connections: Int, threads: Int = 2, seconds: Int, paceMs: Int = 0, expect: Int = 200,
        limitPerThread: Int = 0, in dir: String
    ) throws -> Result {
        let lua = "\(dir)/wrk.lua"
        try script.write(toFile: lua, atomically: true, encoding: .utf8)
        let out = try Command.succeed(
            [try Peers.path("wrk"), "-t", "\(threads)", "-c", "\(connections)", "-d", "\(seconds)s", "--timeout", "5s", "-s", lua, url],
            environment: ["WRK_BODY": body, "WRK_PACE_MS": "\(paceMs)", "WRK_EXPECT": "\(expect)", "WRK_LIMIT": "\(limitPerThread)"])
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw ServerFailed(message: "wrk printed no result: \(out)")
        }
        let f = line.split(separator: " ").dropFirst().map { Int($0) ?? -1 }
        return Result(requests: f[0], seconds: Double(f[1]) / 1e6, p50Micros: f[2], p99Micros: f[3], maxMicros: f[4], unexpected: f[5], socketErrors: f[6])
    }
}
