import Foundation

/// Runs a fixture generator under Tests/Fixtures and reads the `cases.json` it writes.
enum GeneratedCases {
    /// `nil` with the error text when generation fails, so the suite reports it as a failing case.
    static func load<Case: Decodable>(_ type: Case.Type, script name: String, arguments: [String], into directory: String) -> Result<[Case], any Error> {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
        return Result {
            // A generator may check its own cases too; the suites check them independently.
            _ = try Command.run(["python3", script] + arguments + [directory], timeout: 300)
            return try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/cases.json")))
        }
    }
}
