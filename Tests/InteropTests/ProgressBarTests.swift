import Foundation
import Testing

/// The progress bar is for a person at a terminal that can redraw a line: not in a pipe, not
/// with `TERM=dumb` or no `TERM` at all, and not when `NO_COLOR` asks for plain output (as
/// `swift test` itself does for the processes it starts, so each case sets it).
@Suite struct ProgressBarTests {
    @Test(arguments: [("xterm", "", true), ("dumb", "", false), ("", "", false), ("xterm", "1", false)])
    func theBarIsDrawnOnlyOnATerminalThatCanRedrawALine(_ term: String, _ noColor: String, _ drawn: Bool) throws {
        let layout = try ImageFixtures.get().path("layout")
        let command = "\(Peers.bulla) verify-content oci:\(layout):amd64"
        // script(1) runs bulla on a pseudo-terminal and copies what it shows to stdout.
        let onTerminal = try Command.run(["script", "-qec", command, "/dev/null"], environment: ["TERM": term, "NO_COLOR": noColor])
        #expect(onTerminal.status == 0 && onTerminal.stdout.contains("verified"), "\(onTerminal.stdout)\(onTerminal.stderr)")
        #expect(onTerminal.stdout.contains("verifying [") == drawn, "\(onTerminal.stdout)")
        if drawn {
            // --quiet: no bar even here, and the result still printed.
            let quiet = try Command.run(["script", "-qec", command + " --quiet", "/dev/null"], environment: ["TERM": term, "NO_COLOR": noColor])
            #expect(quiet.status == 0 && quiet.stdout.contains("verified") && !quiet.stdout.contains("verifying ["), "\(quiet.stdout)")
        }
        let piped = try Command.run([Peers.bulla, "verify-content", "oci:\(layout):amd64"], environment: ["TERM": term, "NO_COLOR": noColor])
        #expect(piped.status == 0 && !piped.stderr.contains("verifying ["), "\(piped.stderr)")
    }
}
