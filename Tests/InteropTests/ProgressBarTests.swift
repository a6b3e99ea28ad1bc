import Foundation
import Testing

/// The progress bar is for a person at a terminal that can redraw a line: not in a pipe, and not
/// with `TERM=dumb` or no `TERM` at all.
@Suite struct ProgressBarTests {
    @Test(arguments: [("xterm", true), ("dumb", false), ("", false)])
    func theBarIsDrawnOnlyOnATerminalThatCanRedrawALine(_ term: String, _ drawn: Bool) throws {
        let layout = try ImageFixtures.get().path("layout")
        let command = "\(Peers.bulla) verify-content oci:\(layout):amd64"
        // script(1) runs bulla on a pseudo-terminal and copies what it shows to stdout.
        let onTerminal = try Command.run(["script", "-qec", command, "/dev/null"], environment: ["TERM": term])
        #expect(onTerminal.status == 0 && onTerminal.stdout.contains("verified"), "\(onTerminal.stdout)\(onTerminal.stderr)")
        #expect(onTerminal.stdout.contains("verifying [") == drawn, "\(onTerminal.stdout)")
        let piped = try Command.run([Peers.bulla, "verify-content", "oci:\(layout):amd64"], environment: ["TERM": term])
        #expect(piped.status == 0 && !piped.stderr.contains("verifying ["), "\(piped.stderr)")
    }
}
