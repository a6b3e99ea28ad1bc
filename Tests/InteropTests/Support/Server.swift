import Foundation

/// A `bulla … serve` process running for one test: started, waited for until it prints the
/// address it listens on, and stopped with SIGTERM.
final class Server {
    let process = Process()
    let url: String
    private let output: FileHandle

    /// Starts `bulla arguments…` in `directory` and waits (at most `timeout`) for the line
    /// `… at http(s)://HOST:PORT` on its standard output.
    init(_ arguments: [String], in directory: String, password: String = "pw", timeout: TimeInterval = 60) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: Peers.bulla)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(["BULLA_PASSWORD": password]) { _, new in new }
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        output = pipe.fileHandleForReading
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var seen = Data()
        while Date() < deadline, process.isRunning {
            seen += output.availableData
            let text = String(decoding: seen, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains(" at http") }) {
                url = String(line[line.range(of: " at ")!.upperBound...])
                return
            }
        }
        process.terminate()
        throw ServerFailed(message: "\(arguments.joined(separator: " ")) did not start: \(String(decoding: seen, as: UTF8.self))")
    }

    /// Stops the server (SIGTERM) and waits for it; returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { stop() }
}

struct ServerFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
